/* config.yaml: what mitmproxy reads from its conf dir and options.save writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "../lib/test.h"
#include "options/opt.h"

static int
load(struct options *o, const char *text, struct err *e)
{
    return opt_load_yaml(o, text, strlen(text), e);
}

TEST(yaml_values_of_every_type)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(load(o,
                   "# mitmproxy config\n"
                   "---\n"
                   "anticache: true\n"
                   "listen_port: 9999\n"
                   "listen_host: '127.0.0.1'   # a comment\n"
                   "confdir: \"~/x\\ty\"\n"
                   "proxyauth: ~\n"
                   "stream_large_bodies: 1m\n"
                   "modify_headers:\n"
                   "  - /~q/X-A/1\n"
                   "  - '/~q/X-B/it''s'\n"
                   "\n"
                   "ignore_hosts: [a, \"b c\", 'd']\n"
                   "mode:\n"
                   "console_mouse: false\n",
                   &e),
              0);
    ASSERT_EQ(o->anticache, 1);
    ASSERT_EQ(o->listen_port, 9999);
    ASSERT_STREQ(o->listen_host, "127.0.0.1");
    ASSERT_STREQ(o->confdir, "~/x\ty");
    ASSERT(o->proxyauth == NULL);
    ASSERT_STREQ(o->stream_large_bodies, "1m");
    ASSERT_EQ(o->modify_headers.n, 2);
    ASSERT_STREQ(o->modify_headers.v[1], "/~q/X-B/it's");
    ASSERT_EQ(o->ignore_hosts.n, 3);
    ASSERT_STREQ(o->ignore_hosts.v[1], "b c");
    ASSERT_EQ(o->mode.n, 0);
    /* An option this tool does not have is kept quietly (a console option). */
    ASSERT_EQ(o->deferred_quiet.n, 1);
    ASSERT_STREQ(o->deferred_quiet.v[0], "console_mouse=false");
    opt_free(o);
}

TEST(yaml_errors_name_the_line)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT(load(o, "anticache: true\nlisten_port: '8080'\n", &e) < 0);
    ASSERT_STREQ(e.msg, "Config error at line 2: listen_port expects a int, not a str");
    ASSERT(load(o, "anticache: yes\n", &e) < 0); /* YAML 1.2: a string */
    ASSERT(strstr(e.msg, "anticache expects a bool") != NULL);
    ASSERT(load(o, "  indented: 1\n", &e) < 0);
    ASSERT(strstr(e.msg, "line 1") != NULL);
    ASSERT(load(o, "a\nb: 1\n", &e) < 0);
    ASSERT(load(o, "confdir: \"open\n", &e) < 0);
    ASSERT(strstr(e.msg, "unterminated") != NULL);
    ASSERT(load(o, "ignore_hosts: [a, b\n", &e) < 0);
    ASSERT(load(o, "termlog_verbosity: loud\n", &e) < 0);
    ASSERT(strstr(e.msg, "loud") != NULL);
    ASSERT(load(o, "listen_host: null\n", &e) < 0); /* a str, not optional */
    opt_free(o);
}

TEST(yaml_save_reads_back)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set_arg(o, "anticache=true", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "listen_port=1234", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "modify_body=/a: b/c#d", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "modify_body=it's \"q\"", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "listen_host=", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "proxyauth=true", &e), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    opt_save_yaml(o, 0, f);
    fclose(f);
    /* Only what differs from the defaults. */
    ASSERT(strstr(text, "anticache: true\n") != NULL);
    ASSERT(strstr(text, "listen_port: 1234\n") != NULL);
    ASSERT(strstr(text, "proxyauth: 'true'\n") != NULL);
    ASSERT(strstr(text, "block_global") == NULL);
    struct options *back = opt_new();
    ASSERT_EQ(opt_load_yaml(back, text, len, &e), 0);
    ASSERT_EQ(back->anticache, 1);
    ASSERT_EQ(back->listen_port, 1234);
    ASSERT_EQ(back->modify_body.n, 2);
    ASSERT_STREQ(back->modify_body.v[0], "/a: b/c#d");
    ASSERT_STREQ(back->modify_body.v[1], "it's \"q\"");
    ASSERT_STREQ(back->proxyauth, "true");
    struct opt_changes ch;
    ASSERT_EQ(opt_diff(o, back, &ch), 0);
    free(text);
    opt_free(back);
    opt_free(o);
}

TEST(yaml_config_then_command_line)
{
    char dir[64], path[96];
    snprintf(dir, sizeof(dir), "/tmp/mp-test-yaml-%d", (int)getpid());
    snprintf(path, sizeof(path), "%s/config.yaml", dir);
    ASSERT_EQ(mkdir(dir, 0700), 0);
    FILE *f = fopen(path, "w");
    fputs("listen_port: 7777\nignore_hosts:\n- fromfile\n", f);
    fclose(f);
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_load_config(o, dir, &e), 0);
    ASSERT_EQ(o->listen_port, 7777);
    /* The command line's first value of a sequence replaces the file's. */
    ASSERT_EQ(opt_set_arg(o, "ignore_hosts=fromcli", &e), 0);
    ASSERT_EQ(o->ignore_hosts.n, 1);
    ASSERT_STREQ(o->ignore_hosts.v[0], "fromcli");
    /* A missing file is no error; a bad one names itself. */
    ASSERT_EQ(opt_load_file(o, "/nonexistent/config.yaml", &e), 0);
    f = fopen(path, "w");
    fputs("listen_port: [1]\n", f);
    fclose(f);
    ASSERT(opt_load_config(o, dir, &e) < 0);
    ASSERT(strstr(e.msg, "config.yaml: Config error at line 1") != NULL);
    unlink(path);
    rmdir(dir);
    opt_free(o);
}
