/*
 * pathod: a pathological HTTP/S daemon. Flags are those of pathod's last
 * release (mitmproxy 4.x) that make sense without its web app and HTTP/2;
 * main() only turns them into a struct pathod_config and waits for a
 * signal.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "master/master.h"
#include "pathod/server.h"
#include "util/buf.h"
#include "util/num.h"
#include "util/version.h"
#include "util/xmalloc.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: pathod [options]\n"
            "A pathological HTTP/S daemon.\n\n"
            "  -p PORT            port; 0 picks a free one (9999)\n"
            "  -l ADDRESS         listening address (127.0.0.1)\n"
            "  -a PATTERN=SPEC    anchor: serve SPEC (or the spec in file SPEC) for paths\n"
            "                     matching the regex PATTERN; may be repeated\n"
            "  -c PREFIX          URL path prefix for crafting (/p/)\n"
            "  -d DIR             directory for static files (<file values)\n"
            "  -t SECONDS         connection timeout\n"
            "  -D                 daemonize (the log then goes only to -f FILE)\n"
            "  --limit-size SIZE  size limit of served responses (e.g. 100k)\n"
            "  --max-request SIZE size limit of requests read (1m)\n"
            "  --nohang           refuse specs with pauses\n"
            "  --nocraft          disable crafting under the prefix (anchors still work)\n"
            "  --noapi            disable /api/log, /api/clear_log and /api/info\n"
            "  --confdir DIR      CA directory for generated certificates (~/.mitmproxy)\n"
            "SSL:\n"
            "  -s                 TLS on every connection\n"
            "  --cn CN            CN of the generated certificate (pathod.net)\n"
            "  -C                 do not expect TLS after a CONNECT request\n"
            "  --cert [DOMAIN=]PATH  PEM file with key and certificate to serve\n"
            "  --ciphers LIST     OpenSSL cipher list\n"
            "  --san SAN          subjectAltName for the generated certificate; may be repeated\n"
            "Logging:\n"
            "  -e                 explain: log the resolved spec of each response\n"
            "  -f FILE            log to FILE instead of stdout\n"
            "  -q                 log full requests\n"
            "  -r                 log full responses\n"
            "  -x                 log requests and responses as hexdump\n"
            "  --version          print the version\n"
            "  --sysinfo          print version, OpenSSL and platform\n");
}

/* "100k" -> 102400; returns -1 for nonsense. */
static long long
parse_size(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    long long mult = 1;
    switch (*end) {
    case 0:
    case 'b':
        break;
    case 'k':
        mult = 1LL << 10;
        break;
    case 'm':
        mult = 1LL << 20;
        break;
    case 'g':
        mult = 1LL << 30;
        break;
    case 't':
        mult = 1LL << 40;
        break;
    default:
        return -1;
    }
    if ((*end && end[1]) || v > LLONG_MAX / mult)
        return -1;
    return v * mult;
}

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = BUF_INIT;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    /* A spec file usually ends with a newline that is not part of the spec. */
    while (b.len && (buf_ptr(&b)[b.len - 1] == '\n' || buf_ptr(&b)[b.len - 1] == '\r'))
        b.len--;
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

enum {
    OPT_LIMIT = 256,
    OPT_NOHANG,
    OPT_NOCRAFT,
    OPT_NOAPI,
    OPT_CONFDIR,
    OPT_CN,
    OPT_CERT,
    OPT_CIPHERS,
    OPT_SAN,
    OPT_VERSION,
    OPT_SYSINFO,
    OPT_MAXREQ,
};

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"limit-size", required_argument, NULL, OPT_LIMIT},
        {"max-request", required_argument, NULL, OPT_MAXREQ},
        {"nohang", no_argument, NULL, OPT_NOHANG},
        {"nocraft", no_argument, NULL, OPT_NOCRAFT},
        {"noapi", no_argument, NULL, OPT_NOAPI},
        {"confdir", required_argument, NULL, OPT_CONFDIR},
        {"cn", required_argument, NULL, OPT_CN},
        {"cert", required_argument, NULL, OPT_CERT},
        {"ciphers", required_argument, NULL, OPT_CIPHERS},
        {"san", required_argument, NULL, OPT_SAN},
        {"version", no_argument, NULL, OPT_VERSION},
        {"sysinfo", no_argument, NULL, OPT_SYSINFO},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pathod_config cfg = {.port = PATHOD_DEFAULT_PORT};
    /* For the program's lifetime; kept in statics so that every early exit
     * (--help, a bad flag) leaves nothing unreachable behind. */
    static struct pathod_anchor *anchors;
    static char **owned; /* anchor strings we made */
    static const char **sans;
    anchors = xcalloc((size_t)argc + 1, sizeof(*anchors));
    owned = xcalloc((size_t)argc + 1, sizeof(*owned));
    sans = xcalloc((size_t)argc + 1, sizeof(*sans));
    const char *logfile = NULL;
    int daemonize = 0;
    int c;
    long long v;
    int64_t n;

    while ((c = getopt_long(argc, argv, "p:l:a:c:d:t:DsCeqrxf:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (num_parse_cstr(optarg, 0, 65535, &n) < 0) {
                fprintf(stderr, "pathod: invalid port: %s\n", optarg);
                return 2;
            }
            cfg.port = (int)n;
            break;
        case 'l':
            cfg.address = optarg;
            break;
        case 'a': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "pathod: invalid anchor specification: %s\n", optarg);
                return 2;
            }
            char *pattern = xstrndup(optarg, (size_t)(eq - optarg));
            const char *spec = eq + 1;
            char *content = is_file(spec) ? read_file(spec) : NULL;
            owned[cfg.nanchors] = pattern;
            anchors[cfg.nanchors].pattern = pattern;
            anchors[cfg.nanchors].spec = content ? content : xstrdup(spec);
            cfg.nanchors++;
            break;
        }
        case 'c':
            cfg.craftanchor = optarg;
            break;
        case 'd':
            cfg.staticdir = optarg;
            break;
        case 't':
            if (num_parse_cstr(optarg, 0, INT_MAX / 1000, &n) < 0) {
                fprintf(stderr, "pathod: invalid timeout: %s\n", optarg);
                return 2;
            }
            cfg.timeout = (int)n;
            break;
        case 'D':
            daemonize = 1;
            break;
        case 's':
            cfg.ssl = 1;
            break;
        case 'C':
            cfg.plain_connect = 1;
            break;
        case 'e':
            cfg.explain = 1;
            break;
        case 'q':
            cfg.logreq = 1;
            break;
        case 'r':
            cfg.logresp = 1;
            break;
        case 'x':
            cfg.hexdump = 1;
            break;
        case 'f':
            logfile = optarg;
            break;
        case OPT_LIMIT:
        case OPT_MAXREQ:
            if ((v = parse_size(optarg)) < 0) {
                fprintf(stderr, "pathod: invalid size: %s\n", optarg);
                return 2;
            }
            if (c == OPT_LIMIT)
                cfg.sizelimit = (uint64_t)v;
            else
                cfg.max_request = (size_t)v;
            break;
        case OPT_NOHANG:
            cfg.nohang = 1;
            break;
        case OPT_NOCRAFT:
            cfg.nocraft = 1;
            break;
        case OPT_NOAPI:
            cfg.noapi = 1;
            break;
        case OPT_CONFDIR:
            cfg.confdir = optarg;
            break;
        case OPT_CN:
            cfg.cn = optarg;
            break;
        case OPT_CERT: {
            /* pathod took "[domain=]path"; we serve one certificate for every name. */
            const char *eq = strchr(optarg, '=');
            cfg.cert = eq && !is_file(optarg) ? eq + 1 : optarg;
            if (!is_file(cfg.cert)) {
                fprintf(stderr, "pathod: certificate file does not exist: %s\n", cfg.cert);
                return 2;
            }
            break;
        }
        case OPT_CIPHERS:
            cfg.ciphers = optarg;
            break;
        case OPT_SAN:
            sans[cfg.nsans++] = optarg;
            break;
        case OPT_VERSION:
            printf("pathod %s\n", MP_VERSION);
            return 0;
        case OPT_SYSINFO:
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
    if (optind < argc) {
        fprintf(stderr, "pathod: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    cfg.anchors = anchors;
    cfg.sans = sans;
    FILE *logfp = stdout;
    if (logfile && !(logfp = fopen(logfile, "a"))) {
        fprintf(stderr, "pathod: cannot open %s: %s\n", logfile, strerror(errno));
        return 1;
    }
    if (daemonize) {
        /* Before any thread starts: daemon() forks, and only the calling thread survives. */
        if (daemon(1, 0) < 0) {
            fprintf(stderr, "pathod: cannot daemonize: %s\n", strerror(errno));
            return 1;
        }
        if (!logfile)
            logfp = NULL;
    }
    cfg.logfp = logfp;

    /* Signals go to this thread only: block them before the server's threads start. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct err e = {0};
    struct pathod_server *srv = pathod_server_start(&cfg, &e);
    int rc = 0;
    if (!srv) {
        fprintf(stderr, "pathod: %s\n", e.msg);
        rc = 1;
    } else {
        const char *addr = cfg.address ? cfg.address : "127.0.0.1";
        printf("pathod listening on %s:%d\n", addr, pathod_server_port(srv));
        fflush(stdout);
        if (logfp && logfp != stdout) {
            fprintf(logfp, "pathod listening on %s:%d\n", addr, pathod_server_port(srv));
            fflush(logfp);
        }
        int sig;
        sigwait(&set, &sig);
        pathod_server_stop(srv);
    }
    for (size_t i = 0; i < cfg.nanchors; i++) {
        free(owned[i]);
        free((char *)anchors[i].spec);
    }
    free(owned);
    free(anchors);
    free(sans);
    if (logfp && logfp != stdout)
        fclose(logfp);
    return rc;
}
