#include <stdlib.h>
#include <string.h>

#include "options/cmdline.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* Single-letter flags: what option they set, or a special meaning. */
struct shortflag {
    char c;
    const char *option; /* NULL: handled specially */
    const char *value;  /* fixed value (flags without argument), or NULL */
};

static const struct shortflag shorts[] = {
    {'m', "mode", NULL},
    {'r', "rfile", NULL},
    {'s', "scripts", NULL},
    {'w', "save_stream_file", NULL},
    {'p', "listen_port", NULL},
    {'n', "server", "false"},
    {'k', "ssl_insecure", "true"},
    {'C', "client_replay", NULL},
    {'c', "client_replay", NULL}, /* the seeds' spelling */
    {'S', "server_replay", NULL},
    {'M', "map_remote", NULL},
    {'B', "modify_body", NULL},
    {'H', "modify_headers", NULL},
    {'t', "stickycookie", NULL},
    {'u', "stickyauth", NULL},
    {'R', NULL, "reverse:"},
    {'U', NULL, "upstream:"},
    {'T', "mode", "transparent"},
};

/* Long flags of older mitmproxy versions (the seeds), mapped to today's options. */
struct alias {
    const char *flag;
    const char *option;
    const char *value; /* fixed value, or NULL to take an argument */
};

static const struct alias aliases[] = {
    {"replace", "modify_body", NULL},
    {"setheader", "modify_headers", NULL},
    {"ignore", "ignore_hosts", NULL},
    {"no-upstream-cert", "upstream_cert", "false"},
    {"cadir", "confdir", NULL},
    {"rheader", "server_replay_use_headers", NULL},
    {"norefresh", "server_replay_refresh", "false"},
    {"stream", "stream_large_bodies", NULL},
    {"cert", "certs", NULL},
    {"reverse", NULL, "reverse:"},
    {"upstream", NULL, "upstream:"},
    {"transparent", "mode", "transparent"},
    {"socks", "mode", "socks5"},
    {"port", "listen_port", NULL},
    {"host", "listen_host", NULL},
};

static int
set(struct options *opts, const char *name, const char *value, struct err *e)
{
    struct err sub = {0};
    if (opt_set(opts, name, value, &sub) < 0)
        return err_set(e, MP_ERR_INVAL, "%s", sub.msg);
    return 0;
}

/* "--listen-port" -> "listen_port" */
static char *
flag_to_option(const char *flag)
{
    char *s = xstrdup(flag);
    for (char *p = s; *p; p++)
        if (*p == '-')
            *p = '_';
    return s;
}

/* Takes the flag's argument: attached ("--x=v", "-pV") or the next argv. */
static const char *
take_value(const char *attached, int argc, char **argv, int *i, const char *flag,
           struct err *e)
{
    if (attached)
        return attached;
    if (*i + 1 >= argc) {
        err_set(e, MP_ERR_INVAL, "argument %s: expected one argument", flag);
        return NULL;
    }
    return argv[++*i];
}

/* --replace-from-file /filter/regex/path means modify_body /filter/regex/@path. */
static int
replace_from_file(struct options *opts, const char *v, struct err *e)
{
    if (*v == '\0')
        return err_set(e, MP_ERR_INVAL, "argument --replace-from-file: empty pattern");
    char sep = v[0];
    const char *last = strrchr(v + 1, sep);
    if (last == NULL)
        return err_set(e, MP_ERR_INVAL, "argument --replace-from-file: invalid pattern '%s'", v);
    struct buf b = BUF_INIT;
    buf_append(&b, v, (size_t)(last - v) + 1);
    buf_append_str(&b, "@");
    buf_append_str(&b, last + 1);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    int rc = set(opts, "modify_body", s, e);
    free(s);
    return rc;
}

static int
mode_with_spec(struct options *opts, const char *prefix, const char *spec, struct err *e)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, prefix);
    buf_append_str(&b, spec);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    int rc = set(opts, "mode", s, e);
    free(s);
    return rc;
}

static int
parse_long(struct options *opts, int argc, char **argv, int *i, struct cmdline *cl, int *quiet,
           int *verbose, struct err *e)
{
    const char *arg = argv[*i];
    char name[128];
    const char *attached = NULL;
    const char *eq = strchr(arg + 2, '=');
    size_t n = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
    if (n >= sizeof(name))
        return err_set(e, MP_ERR_INVAL, "unrecognized argument '%s'", arg);
    memcpy(name, arg + 2, n);
    name[n] = '\0';
    if (eq)
        attached = eq + 1;

    if (strcmp(name, "help") == 0) {
        cl->help = 1;
        return 0;
    }
    if (strcmp(name, "version") == 0) {
        cl->version = 1;
        return 0;
    }
    if (strcmp(name, "sysinfo") == 0) {
        cl->sysinfo = 1;
        return 0;
    }
    if (strcmp(name, "options") == 0) {
        cl->show_options = 1;
        return 0;
    }
    if (strcmp(name, "commands") == 0) {
        cl->show_commands = 1;
        return 0;
    }
    if (strcmp(name, "quiet") == 0) {
        *quiet = 1;
        return 0;
    }
    if (strcmp(name, "verbose") == 0) {
        *verbose = 1;
        return 0;
    }
    if (strcmp(name, "set") == 0) {
        const char *v = take_value(attached, argc, argv, i, "--set", e);
        if (v == NULL)
            return MP_ERR_INVAL;
        struct err sub = {0};
        /* An option a script (-s) may add is kept until it exists. */
        if (opt_set_deferred(opts, v, &sub) < 0)
            return err_set(e, MP_ERR_INVAL, "%s", sub.msg);
        return 0;
    }
    if (strcmp(name, "replace-from-file") == 0) {
        const char *v = take_value(attached, argc, argv, i, arg, e);
        return v ? replace_from_file(opts, v, e) : MP_ERR_INVAL;
    }
    for (size_t k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++) {
        const struct alias *a = &aliases[k];
        if (strcmp(name, a->flag) != 0)
            continue;
        if (a->option == NULL) {
            const char *v = take_value(attached, argc, argv, i, arg, e);
            return v ? mode_with_spec(opts, a->value, v, e) : MP_ERR_INVAL;
        }
        if (a->value)
            return set(opts, a->option, a->value, e);
        const char *v = take_value(attached, argc, argv, i, arg, e);
        return v ? set(opts, a->option, v, e) : MP_ERR_INVAL;
    }

    char *oname = flag_to_option(name);
    const struct opt_info *info = opt_find(oname);
    int negated = 0;
    if (info == NULL && strncmp(oname, "no_", 3) == 0) {
        info = opt_find(oname + 3);
        negated = info && info->type == OPT_BOOL;
        if (!negated)
            info = NULL;
    }
    free(oname);
    if (info == NULL)
        return err_set(e, MP_ERR_INVAL, "unrecognized argument '%s'", arg);
    if (info->type == OPT_BOOL) {
        if (attached)
            return set(opts, info->name, attached, e);
        return set(opts, info->name, negated ? "false" : "true", e);
    }
    const char *v = take_value(attached, argc, argv, i, arg, e);
    if (v == NULL)
        return MP_ERR_INVAL;
    return set(opts, info->name, v, e);
}

static int
parse_short(struct options *opts, int argc, char **argv, int *i, struct cmdline *cl, int *quiet,
            int *verbose, struct err *e)
{
    const char *arg = argv[*i];
    for (const char *p = arg + 1; *p; p++) {
        char c = *p;
        if (c == 'h') {
            cl->help = 1;
            continue;
        }
        if (c == 'q') {
            *quiet = 1;
            continue;
        }
        if (c == 'v') {
            *verbose = 1;
            continue;
        }
        const struct shortflag *f = NULL;
        for (size_t k = 0; k < sizeof(shorts) / sizeof(shorts[0]); k++)
            if (shorts[k].c == c)
                f = &shorts[k];
        if (f == NULL)
            return err_set(e, MP_ERR_INVAL, "unrecognized argument '-%c'", c);
        if (f->option && f->value) {
            int rc = set(opts, f->option, f->value, e);
            if (rc < 0)
                return rc;
            continue;
        }
        char flag[3] = {'-', c, '\0'};
        const char *v = take_value(p[1] ? p + 1 : NULL, argc, argv, i, flag, e);
        if (v == NULL)
            return MP_ERR_INVAL;
        if (f->option == NULL)
            return mode_with_spec(opts, f->value, v, e);
        return set(opts, f->option, v, e);
    }
    return 0;
}

int
cmdline_parse(struct options *opts, int argc, char **argv, struct cmdline *cl, struct err *e)
{
    int quiet = 0, verbose = 0, rc = 0;
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            strv_push(&cl->filters, arg);
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (arg[1] == '-')
            rc = parse_long(opts, argc, argv, &i, cl, &quiet, &verbose, e);
        else
            rc = parse_short(opts, argc, argv, &i, cl, &quiet, &verbose, e);
        if (rc < 0)
            return rc;
    }
    /* Without scripts nothing can add an option: unknown ones are errors now. */
    if (opts->deferred.n && opts->scripts.n == 0)
        return cmdline_unknown_options(opts, e);
    /* As mitmproxy's process_options: -q (and --options) silence, -v wins. */
    if (quiet || cl->show_options || cl->show_commands) {
        set(opts, "termlog_verbosity", "error", NULL);
        set(opts, "flow_detail", "0", NULL);
    }
    if (verbose) {
        set(opts, "termlog_verbosity", "debug", NULL);
        set(opts, "flow_detail", "2", NULL);
    }
    return 0;
}

int
cmdline_unknown_options(const struct options *opts, struct err *e)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < opts->deferred.n; i++) {
        const char *arg = opts->deferred.v[i];
        buf_printf(&b, "%s%.*s", i ? ", " : "", (int)strcspn(arg, "="), arg);
    }
    buf_append(&b, "", 1);
    int rc = err_set(e, MP_ERR_NOTFOUND, "Unknown option(s): %s", (const char *)buf_ptr(&b));
    buf_clear(&b);
    return rc;
}

int
cmdline_parse_config(struct options *opts, int argc, char **argv, struct cmdline *cl,
                     struct err *e)
{
    /* The conf dir may come from the command line itself. */
    struct options *probe = opt_new();
    struct cmdline pcl = {0};
    int rc = cmdline_parse(probe, argc, argv, &pcl, e);
    cmdline_clear(&pcl);
    if (rc == 0 && !pcl.help && !pcl.version && !pcl.sysinfo)
        rc = opt_load_config(opts, probe->confdir, e);
    opt_free(probe);
    if (rc == 0)
        rc = cmdline_parse(opts, argc, argv, cl, e);
    return rc;
}

void
cmdline_clear(struct cmdline *cl)
{
    strv_clear(&cl->filters);
}

void
cmdline_usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [options] [filter]\n"
            "\n"
            "options:\n"
            "  -h, --help            show this help message and exit\n"
            "  --version             show version number and exit\n"
            "  --sysinfo             show version, Python, OpenSSL and platform and exit\n"
            "  --options             Show all options and their default values\n"
            "  --commands            Show all commands and their signatures\n"
            "  --set option[=value]  Set an option. When the value is omitted, booleans are\n"
            "                        set to true, strings and integers are set to None (if\n"
            "                        permitted), and sequences are emptied. Boolean values\n"
            "                        can be true, false or toggle. Sequences are set using\n"
            "                        multiple invocations to set for the same option.\n"
            "  -q, --quiet           Quiet.\n"
            "  -v, --verbose         Increase log verbosity.\n"
            "  --mode MODE, -m MODE  regular, transparent, socks5, reverse:SPEC or\n"
            "                        upstream:SPEC (SPEC is http[s]://host[:port], for\n"
            "                        upstream also socks5://[user:pass@]host[:port]).\n"
            "                        Repeat for several proxy servers; MODE@PORT or\n"
            "                        MODE@HOST:PORT picks one's listen address. -R SPEC,\n"
            "                        -U SPEC, -T and --socks are the older spellings.\n"
            "  --rfile PATH, -r PATH Read flows from file.\n"
            "  --save-stream-file PATH, -w PATH\n"
            "                        Stream flows to file as they arrive. Prefix path with\n"
            "                        + to append.\n"
            "  --flow-detail LEVEL   The display detail level for flows: 0 (quiet) to 4\n"
            "                        (very verbose).\n"
            "  --listen-host HOST    Address to bind proxy to.\n"
            "  --listen-port PORT, -p PORT\n"
            "                        Proxy service port.\n"
            "  --no-server, -n       Do not start a proxy server.\n"
            "  --keep-host-header    Reverse proxy: keep the original Host header.\n"
            "  --stream SIZE         Stream bodies larger than SIZE (k/m/g suffixes); the\n"
            "                        same as --set stream_large_bodies=SIZE.\n"
            "\n"
            "Every option listed by --options can be given as --name-with-dashes VALUE\n"
            "(booleans as --name / --no-name) or as --set name=value.\n",
            prog);
}
