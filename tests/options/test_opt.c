#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "options/opt.h"
#include "topt.h"

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    char *p = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&p, &cap);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        fwrite(tmp, 1, n, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return p;
}

TEST(opt_registry_sorted_and_complete)
{
    size_t n;
    const struct opt_info *r = opt_registry(&n);
    ASSERT_EQ(n, 81); /* as many as `mitmdump --options` lists */
    for (size_t i = 1; i < n; i++)
        ASSERT(strcmp(r[i - 1].name, r[i].name) < 0);
    for (size_t i = 0; i < n; i++)
        ASSERT(opt_find(r[i].name) == &r[i]);
    ASSERT(opt_find("nope") == NULL);
    ASSERT(opt_find("") == NULL);
}

TEST(opt_defaults)
{
    struct options *o = opt_new();
    ASSERT_EQ(o->listen_port, 8080);
    ASSERT_EQ(o->flow_detail, 1);
    ASSERT_EQ(o->block_global, 1);
    ASSERT_EQ(o->anticache, 0);
    ASSERT_STREQ(o->confdir, "~/.mitmproxy");
    ASSERT_STREQ(o->listen_host, "");
    ASSERT(o->save_stream_file == NULL);
    ASSERT_EQ(o->scripts.n, 0);
    opt_free(o);
}

TEST(opt_type_names)
{
    ASSERT_STREQ(opt_type_name(OPT_BOOL), "bool");
    ASSERT_STREQ(opt_type_name(OPT_INT), "int");
    ASSERT_STREQ(opt_type_name(OPT_STR), "str");
    ASSERT_STREQ(opt_type_name(OPT_OPTSTR), "optional str");
    ASSERT_STREQ(opt_type_name(OPT_SEQ), "sequence of str");
}

TEST(opt_set_bool)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "anticache", "true", &e), 0);
    ASSERT_EQ(o->anticache, 1);
    ASSERT_EQ(opt_set(o, "anticache", "false", &e), 0);
    ASSERT_EQ(o->anticache, 0);
    ASSERT_EQ(opt_set(o, "anticache", "toggle", &e), 0);
    ASSERT_EQ(o->anticache, 1);
    ASSERT_EQ(opt_set(o, "anticache", "toggle", &e), 0);
    ASSERT_EQ(o->anticache, 0);
    ASSERT_EQ(opt_set(o, "anticache", NULL, &e), 0);
    ASSERT_EQ(o->anticache, 1);
    ASSERT_EQ(opt_set(o, "anticache", "yes", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "anticache: invalid boolean 'yes' (valid: true, false, toggle)");
    ASSERT_EQ(o->anticache, 1);
    opt_free(o);
}

TEST(opt_set_int)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "listen_port", "9090", &e), 0);
    ASSERT_EQ(o->listen_port, 9090);
    ASSERT_EQ(opt_set(o, "client_replay_concurrency", "-1", &e), 0);
    ASSERT_EQ(o->client_replay_concurrency, -1);
    ASSERT_EQ(opt_set(o, "listen_port", "abc", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "listen_port: invalid integer 'abc'");
    ASSERT_EQ(opt_set(o, "listen_port", "12x", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "listen_port: invalid integer '12x'");
    ASSERT_EQ(opt_set(o, "listen_port", "", &e), MP_ERR_INVAL);
    ASSERT_EQ(opt_set(o, "listen_port", " 1", &e), MP_ERR_INVAL);
    ASSERT_EQ(opt_set(o, "listen_port", "99999999999999999999999", &e), MP_ERR_INVAL);
    ASSERT_EQ(opt_set(o, "listen_port", NULL, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "listen_port: a value is required");
    ASSERT_EQ(o->listen_port, 9090);
    opt_free(o);
}

TEST(opt_set_str_and_choices)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "listen_host", "127.0.0.1", &e), 0);
    ASSERT_STREQ(o->listen_host, "127.0.0.1");
    ASSERT_EQ(opt_set(o, "listen_host", NULL, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "listen_host: a value is required");
    ASSERT_EQ(opt_set(o, "termlog_verbosity", "debug", &e), 0);
    ASSERT_STREQ(o->termlog_verbosity, "debug");
    ASSERT_EQ(opt_set(o, "termlog_verbosity", "x", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg,
                 "termlog_verbosity: invalid value 'x' (valid: error, warn, info, alert, debug)");
    ASSERT_STREQ(o->termlog_verbosity, "debug");
    /* A choice with a space in it. */
    ASSERT_EQ(opt_set(o, "dumper_default_contentview", "multipart form", &e), 0);
    ASSERT_EQ(opt_set(o, "dumper_default_contentview", "multipart", &e), MP_ERR_INVAL);
    opt_free(o);
}

TEST(opt_set_optstr)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "save_stream_file", "+out.mitm", &e), 0);
    ASSERT_STREQ(o->save_stream_file, "+out.mitm");
    ASSERT_EQ(opt_set(o, "save_stream_file", "", &e), 0);
    ASSERT_STREQ(o->save_stream_file, "");
    ASSERT_EQ(opt_set(o, "save_stream_file", NULL, &e), 0);
    ASSERT(o->save_stream_file == NULL);
    opt_free(o);
}

TEST(opt_set_seq)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "scripts", "a.py", &e), 0);
    ASSERT_EQ(opt_set(o, "scripts", "b.py", &e), 0);
    ASSERT_EQ(o->scripts.n, 2);
    ASSERT_STREQ(o->scripts.v[0], "a.py");
    ASSERT_STREQ(o->scripts.v[1], "b.py");
    ASSERT_EQ(opt_set(o, "scripts", NULL, &e), 0);
    ASSERT_EQ(o->scripts.n, 0);
    opt_free(o);
}

TEST(opt_set_unknown)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "foo", "1", &e), MP_ERR_NOTFOUND);
    ASSERT_STREQ(e.msg, "unknown option 'foo'");
    ASSERT_EQ(opt_set_arg(o, "foo=bar", &e), MP_ERR_NOTFOUND);
    ASSERT_STREQ(e.msg, "unknown option 'foo'");
    opt_free(o);
}

TEST(opt_set_arg_forms)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set_arg(o, "ssl_insecure", &e), 0);
    ASSERT_EQ(o->ssl_insecure, 1);
    ASSERT_EQ(opt_set_arg(o, "ssl_insecure=false", &e), 0);
    ASSERT_EQ(o->ssl_insecure, 0);
    /* Only the first "=" separates. */
    ASSERT_EQ(opt_set_arg(o, "block_list=/~u a=b/403", &e), 0);
    ASSERT_STREQ(o->block_list.v[0], "/~u a=b/403");
    ASSERT_EQ(opt_set_arg(o, "listen_port=", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "listen_port: invalid integer ''");
    opt_free(o);
}

TEST(opt_copy_is_deep)
{
    struct options *o = opt_new();
    ASSERT_EQ(opt_set(o, "scripts", "a.py", NULL), 0);
    ASSERT_EQ(opt_set(o, "rfile", "x.mitm", NULL), 0);
    struct options *c = opt_copy(o);
    ASSERT(c->scripts.v != o->scripts.v);
    ASSERT(c->rfile != o->rfile);
    ASSERT(c->confdir != o->confdir);
    opt_free(o);
    ASSERT_STREQ(c->scripts.v[0], "a.py");
    ASSERT_STREQ(c->rfile, "x.mitm");
    ASSERT_STREQ(c->confdir, "~/.mitmproxy");
    opt_free(c);
}

TEST(opt_format_values)
{
    struct options *o = opt_new();
    char out[128];
    opt_format_value(o, opt_find("anticache"), out, sizeof(out));
    ASSERT_STREQ(out, "false");
    opt_format_value(o, opt_find("listen_port"), out, sizeof(out));
    ASSERT_STREQ(out, "8080");
    opt_format_value(o, opt_find("listen_host"), out, sizeof(out));
    ASSERT_STREQ(out, "''");
    opt_format_value(o, opt_find("confdir"), out, sizeof(out));
    ASSERT_STREQ(out, "~/.mitmproxy");
    opt_format_value(o, opt_find("rfile"), out, sizeof(out));
    ASSERT_STREQ(out, "");
    opt_format_value(o, opt_find("scripts"), out, sizeof(out));
    ASSERT_STREQ(out, "[]");
    opt_set(o, "scripts", "a.py", NULL);
    opt_set(o, "scripts", "it's, 'x'", NULL);
    opt_format_value(o, opt_find("scripts"), out, sizeof(out));
    ASSERT_STREQ(out, "[a.py, 'it''s, ''x''']");
    opt_set(o, "listen_host", "true", NULL);
    opt_format_value(o, opt_find("listen_host"), out, sizeof(out));
    ASSERT_STREQ(out, "'true'");
    /* Truncation keeps the result terminated. */
    opt_format_value(o, opt_find("listen_port"), out, 3);
    ASSERT_STREQ(out, "80");
    opt_free(o);
}

/*
 * The whole `--options` text of mitmdump 8.1.1, byte for byte, except
 * `mode`: it is a sequence since mitmproxy 9 (one proxy server per mode),
 * so its type line and YAML form changed and its help names the @PORT
 * suffix; the expected file holds our entry for it.
 */
TEST(opt_dump_matches_mitmdump)
{
    struct options *o = opt_new();
    size_t n, m;
    char *ours = topt_dump(o, &n);
    char *want = slurp("tests/options/expected/mitmdump-options.txt", &m);
    ASSERT_MEMEQ(ours, n, want, m);
    free(ours);
    free(want);
    opt_free(o);
}

/* Two options checked inline, so a failure points at the wrapping rules. */
TEST(opt_dump_excerpts)
{
    struct options *o = opt_new();
    size_t n;
    char *ours = topt_dump(o, &n);
    ASSERT(strstr(ours, "\n# Strip out request headers that might cause the server to return\n"
                        "# 304-not-modified. Type bool.\nanticache: false\n\n") != NULL);
    ASSERT(strstr(ours, "\n# Log verbosity. Valid values are 'error', 'warn', 'info', 'alert',\n"
                        "# 'debug'.\ntermlog_verbosity: info\n") != NULL);
    ASSERT(strstr(ours, "\n# Opposite of --ignore-hosts. Type sequence of str.\n"
                        "allow_hosts: []\n") != NULL);
    free(ours);
    opt_set(o, "scripts", "a.py", NULL);
    opt_set(o, "scripts", "b c.py", NULL);
    ours = topt_dump(o, &n);
    ASSERT(strstr(ours, "\nscripts:\n- a.py\n- b c.py\n") != NULL);
    free(ours);
    opt_free(o);
}

TEST(opt_parse_size_ok)
{
    struct err e = {0};
    ASSERT_EQ(opt_parse_size("0", &e), 0);
    ASSERT_EQ(opt_parse_size("100", &e), 100);
    ASSERT_EQ(opt_parse_size("100b", &e), 100);
    ASSERT_EQ(opt_parse_size("1k", &e), 1024);
    ASSERT_EQ(opt_parse_size("1K", &e), 1024);
    ASSERT_EQ(opt_parse_size("1kb", &e), 1024);
    ASSERT_EQ(opt_parse_size("3m", &e), 3145728);
    ASSERT_EQ(opt_parse_size("3MB", &e), 3145728);
    ASSERT_EQ(opt_parse_size("2g", &e), 2147483648LL);
    ASSERT_EQ(opt_parse_size("1t", &e), 1099511627776LL);
}

TEST(opt_parse_size_errors)
{
    struct err e = {0};
    ASSERT_EQ(opt_parse_size("", &e), -1);
    ASSERT_STREQ(e.msg, "invalid size ''");
    ASSERT_EQ(opt_parse_size("abc", &e), -1);
    ASSERT_STREQ(e.msg, "invalid size 'abc'");
    ASSERT_EQ(opt_parse_size("-1k", &e), -1);
    ASSERT_EQ(opt_parse_size("3x", &e), -1);
    ASSERT_EQ(opt_parse_size("3kk", &e), -1);
    ASSERT_EQ(opt_parse_size("3 k", &e), -1);
    ASSERT_EQ(opt_parse_size("99999999999t", &e), -1);
    ASSERT_STREQ(e.msg, "size too large '99999999999t'");
    ASSERT_EQ(opt_parse_size("999999999999999999999", &e), -1);
}
