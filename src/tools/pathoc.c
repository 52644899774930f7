/*
 * pathoc: a perverse HTTP client. `pathoc [options] host[:port] spec...`.
 * Flags follow the pathoc of the seeds' documentation (-p is the port
 * there) and of pathod's last release where they do not clash; main() only
 * builds a struct pathoc_config and runs it.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "master/master.h"
#include "pathod/client.h"
#include "util/buf.h"
#include "util/num.h"
#include "util/version.h"
#include "util/xmalloc.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: pathoc [options] host[:port] spec [spec ...]\n"
               "A perverse HTTP client. Each spec is a request spec, or a file holding specs.\n\n"
               "  -p PORT          port (80, or 443 with -s); also host:port\n"
               "  -c HOST:PORT     issue an HTTP CONNECT to HOST:PORT first\n"
               "  -n N             repeat N times, a new connection each time; -1 forever\n"
               "  -w SECONDS       wait between repetitions\n"
               "  -r               play one randomly chosen spec argument per connection\n"
               "  -t SECONDS       timeout for reads (and for WebSocket frames to arrive)\n"
               "SSL:\n"
               "  -s               connect with TLS\n"
               "  -i SNI           TLS server name indication\n"
               "  -C FILE          PEM file with client certificate and key\n"
               "  --ciphers LIST   OpenSSL cipher list\n"
               "Output:\n"
               "  -I CODES         comma-separated response codes not to print\n"
               "  -S               show TLS connection info\n"
               "  -e               explain: print the resolved request spec\n"
               "  -o               oneshot: exit after the first response not ignored\n"
               "  -q               print full requests\n"
               "  -P               print full responses\n"
               "  -T               ignore timeouts\n"
               "  -x               print requests and responses as hexdump\n"
               "  --version        print the version\n"
               "  --sysinfo        print version, OpenSSL and platform\n");
}

static char *
read_spec_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = BUF_INIT;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    /* Specs in a file are separated by whitespace; trailing newlines are not a spec. */
    while (b.len && strchr("\r\n \t", buf_ptr(&b)[b.len - 1]))
        b.len--;
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"ciphers", required_argument, NULL, 256},
        {"version", no_argument, NULL, 257},
        {"sysinfo", no_argument, NULL, 258},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pathoc_config cfg = {.repeat = 1};
    static int *codes; /* for the program's lifetime (see pathod.c) */
    codes = xcalloc(64, sizeof(*codes));
    int port = 0;
    int64_t v;
    int c;

    while ((c = getopt_long(argc, argv, "p:c:n:w:rt:si:C:I:SeoqPTxh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (num_parse_cstr(optarg, 1, 65535, &v) < 0) {
                fprintf(stderr, "pathoc: invalid port: %s\n", optarg);
                return 2;
            }
            port = (int)v;
            break;
        case 'c':
            cfg.connect_to = optarg;
            break;
        case 'n':
            if (num_parse_cstr(optarg, 0, INT_MAX, &v) < 0) {
                fprintf(stderr, "pathoc: invalid repeat count: %s\n", optarg);
                return 2;
            }
            cfg.repeat = (int)v;
            break;
        case 'w': {
            char *end;
            cfg.wait = strtod(optarg, &end);
            if (end == optarg || *end || !(cfg.wait >= 0 && cfg.wait <= 86400)) {
                fprintf(stderr, "pathoc: invalid wait: %s\n", optarg);
                return 2;
            }
            break;
        }
        case 'r':
            cfg.random = 1;
            break;
        case 't':
            if (num_parse_cstr(optarg, 0, INT_MAX / 1000, &v) < 0) {
                fprintf(stderr, "pathoc: invalid timeout: %s\n", optarg);
                return 2;
            }
            cfg.timeout = (int)v;
            break;
        case 's':
            cfg.ssl = 1;
            break;
        case 'i':
            cfg.sni = optarg;
            break;
        case 'C':
            cfg.clientcert = optarg;
            break;
        case 'I': {
            char *dup = xstrdup(optarg), *save = NULL;
            for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (num_parse_cstr(t, 0, 999, &v) < 0 || cfg.nignore == 64) {
                    fprintf(stderr, "pathoc: invalid return code specification: %s\n", optarg);
                    free(dup);
                    return 2;
                }
                codes[cfg.nignore++] = (int)v;
            }
            free(dup);
            break;
        }
        case 'S':
            cfg.showssl = 1;
            break;
        case 'e':
            cfg.explain = 1;
            break;
        case 'o':
            cfg.oneshot = 1;
            break;
        case 'q':
            cfg.showreq = 1;
            break;
        case 'P':
            cfg.showresp = 1;
            break;
        case 'T':
            cfg.ignoretimeout = 1;
            break;
        case 'x':
            cfg.hexdump = 1;
            break;
        case 256:
            cfg.ciphers = optarg;
            break;
        case 257:
            printf("pathoc %s\n", MP_VERSION);
            return 0;
        case 258:
            master_sysinfo(stdout, 0);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    cfg.ignorecodes = codes;
    if (argc - optind < 2) {
        usage(stderr);
        return 2;
    }
    char *host = NULL;
    if (pathoc_split_hostport(argv[optind], &host, &port) < 0) {
        fprintf(stderr, "pathoc: invalid port in host spec: %s\n", argv[optind]);
        return 2;
    }
    cfg.host = host;
    cfg.port = port;
    size_t nspecs = (size_t)(argc - optind - 1);
    char **specs = xcalloc(nspecs, sizeof(*specs));
    for (size_t i = 0; i < nspecs; i++) {
        const char *arg = argv[optind + 1 + (int)i];
        char *content = read_spec_file(arg);
        specs[i] = content ? content : xstrdup(arg);
    }
    signal(SIGPIPE, SIG_IGN);

    struct err e = {0};
    int r = pathoc_run(&cfg, (const char *const *)specs, nspecs, &e);
    int rc = 0;
    if (r == MP_ERR_SYNTAX) {
        fprintf(stderr, "%s\n", e.msg);
        rc = 1;
    } else if (r < 0) {
        /* pathoc_run has reported each failed connection on stderr already. */
        rc = 1;
    }
    for (size_t i = 0; i < nspecs; i++)
        free(specs[i]);
    free(specs);
    free(host);
    free(codes);
    return rc;
}
