/*
 * Everything the layers of one client connection share: the client
 * connection, the configuration, the proxy mode, and the command-id counter.
 * Created by the driver (or a test) per accepted connection.
 */
#ifndef MP_PROXY_CONTEXT_H
#define MP_PROXY_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "flow/connection.h"
#include "http/http1.h"
#include "util/err.h"

struct ca;
struct tls_certs;
struct connection;
struct hostmatch;
struct options;

#define PROXY_MODE_MAP(X)                                                                          \
    X(REGULAR, "regular")                                                                          \
    X(REVERSE, "reverse")                                                                          \
    X(UPSTREAM, "upstream")                                                                        \
    X(TRANSPARENT, "transparent")                                                                  \
    X(SOCKS5, "socks5")

enum proxy_mode_kind {
#define X(name, str) PROXY_MODE_##name,
    PROXY_MODE_MAP(X)
#undef X
};

/* A parsed --mode value, e.g. "reverse:http://example.com:8081". */
struct proxy_mode {
    enum proxy_mode_kind kind;
    char scheme[8];  /* reverse/upstream: "http", "https" */
    char host[256];  /* reverse/upstream target */
    uint16_t port;   /* 0 when not given: the scheme's default */
};

/* Parses a mode spec; errors name the bad part ("invalid mode: ..."). */
int proxy_mode_parse(const char *spec, struct proxy_mode *out, struct err *e);
const char *proxy_mode_name(enum proxy_mode_kind);

/* Values derived once from the options, so layers need not re-parse them. */
struct proxy_config {
    const struct options *opts; /* borrowed; immutable while serving */
    struct proxy_mode mode;
    struct http1_limits limits;
    int64_t stream_large_bodies; /* bytes; -1 = never stream */
    int64_t body_size_limit;     /* bytes; -1 = no limit */
    struct hostmatch *ignore_hosts; /* owned; NULL = none */
    struct hostmatch *allow_hosts;  /* owned; NULL = none */
    struct hostmatch *tcp_hosts;    /* owned; NULL = none */
    struct ca *ca;                  /* owned; NULL: TLS is passed through, not intercepted */
    struct tls_certs *certs;        /* owned; custom certificates (--certs); NULL = none */
    int tls_client_min, tls_client_max; /* enum tls_version */
    int tls_server_min, tls_server_max;
    char *upstream_auth; /* owned "Basic <base64>" from upstream_auth; NULL = none */
};

/* Builds cfg from opts; errors name the bad option. Free with proxy_config_clear(). */
int proxy_config_init(struct proxy_config *cfg, const struct options *opts, struct err *e);
/* Loads (or creates) the CA in opts->confdir so TLS can be intercepted, and
 * the custom certificates of opts->certs. */
int proxy_config_load_ca(struct proxy_config *cfg, struct err *e);
void proxy_config_clear(struct proxy_config *cfg);

/*
 * Whether a connection to these names is passed through untouched
 * (ignore_hosts / allow_hosts), decided before any TLS is terminated.
 * Each non-NULL host is tried as "host:port" (destination, SNI, Host header).
 */
int proxy_config_ignored(const struct proxy_config *cfg, const char *host, const char *sni,
                         uint16_t port);
/* Whether a connection is a raw TCP flow by tcp_hosts (same subjects as above). */
int proxy_config_tcp(const struct proxy_config *cfg, const char *host, const char *sni,
                     uint16_t port);

struct context {
    struct connection *client;      /* one reference */
    const struct proxy_config *cfg; /* borrowed; outlives the context */
    uint64_t next_cmd_id;
    /* Transparent mode: where the client was going before the firewall's
     * REDIRECT (SO_ORIGINAL_DST), set by the driver; host NULL = unknown. */
    struct addr original_dst;
};

/* A new context holding a reference to client; free with context_free(). */
struct context *context_new(struct connection *client, const struct proxy_config *cfg);
void context_free(struct context *);

#endif
