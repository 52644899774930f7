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
    X(SOCKS5, "socks5")                                                                            \
    X(UPSTREAM_SOCKS5, "upstream:socks5")                                                          \
    X(DNS, "dns")

enum proxy_mode_kind {
#define X(name, str) PROXY_MODE_##name,
    PROXY_MODE_MAP(X)
#undef X
};

/*
 * A parsed --mode value, e.g. "reverse:http://example.com:8081" or
 * "socks5@1080".
 *
 * UPSTREAM_SOCKS5 ("upstream:socks5://[user:pass@]host[:port]") faces the
 * client as a regular HTTP proxy, so every layer treats it as REGULAR; only
 * the driver differs: it opens each server connection through the SOCKS5
 * proxy. UPSTREAM with scheme "https" speaks TLS to the upstream proxy, also
 * in the driver only (the layers see a plain upstream proxy).
 *
 * DNS is a DNS server on UDP and TCP ("dns", or 8.1.1's dns_server option):
 * with host "" it answers through the dns_request hook (the resolver addon
 * asks the system resolver); "reverse:dns://IP[:PORT]" (8.1.1's
 * dns_mode=reverse:IP[:PORT]) sets scheme "dns", host and port (53), and
 * queries are forwarded there over UDP.
 */
struct proxy_mode {
    enum proxy_mode_kind kind;
    char scheme[8];  /* reverse/upstream: "http", "https"; upstream SOCKS: "socks5" */
    char host[256];  /* reverse/upstream target */
    uint16_t port;   /* after parsing: the given port, else the scheme's default */
    char user[256];  /* upstream SOCKS: RFC 1929 credentials; "" = no authentication */
    char pass[256];
    /* "@PORT" or "@HOST:PORT": this mode's own listen address. */
    char listen_host[256]; /* valid when listen_host_given */
    int listen_host_given;
    int listen_port;       /* -1: the listen_port option */
};

/* Parses a mode spec; errors name the bad part ("invalid mode: ..."). */
int proxy_mode_parse(const char *spec, struct proxy_mode *out, struct err *e);
/*
 * 8.1.1's dns_mode option: "regular", "reverse:IP[:PORT]" or "transparent"
 * into a DNS mode (listen address not set). Transparent DNS (IP_TRANSPARENT
 * sockets) is not built: it is refused with a message saying so.
 */
int proxy_mode_parse_dns(const char *dns_mode, struct proxy_mode *out, struct err *e);
/* The address a mode listens on: its "@" suffix, else the listen_* options. */
const char *proxy_mode_listen_host(const struct proxy_mode *, const struct options *);
int proxy_mode_listen_port(const struct proxy_mode *, const struct options *);
/* How mitmproxy 9+ announces the server: "HTTP(S) proxy", "SOCKS v5 proxy", ... */
const char *proxy_mode_description(const struct proxy_mode *);
const char *proxy_mode_name(enum proxy_mode_kind);

/*
 * Values derived once from the options, so layers need not re-parse them.
 * Immutable once built: a change of options builds new configurations, new
 * connections take them, and a connection keeps the one it started with
 * (context_new() holds a reference) until it ends.
 *
 * Two ways to own one: proxy_config_new() returns a reference-counted one
 * (what the tools serve with: it owns a copy of the options); one
 * initialized in place with proxy_config_init() (tests) has refs == 0, is
 * borrowed by its users and must outlive them.
 */
struct proxy_config {
    int refs;                   /* 0: initialized in place, not counted */
    const struct options *opts; /* owned copy when refs > 0; else borrowed */
    struct proxy_mode mode; /* this listener's mode; modes[0] in the base config */
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
    /* Every --mode in order (mode is a copy of one of them), then the DNS
     * server of the dns_server option. Owned by the base config; borrowed
     * by proxy_config_for_mode() copies. */
    struct proxy_mode *modes;
    size_t nmodes;
    int borrowed; /* a proxy_config_for_mode() copy: owns nothing */
};

/*
 * Builds cfg from opts; errors name the bad option, and two modes that
 * would listen on the same address. Free with proxy_config_clear().
 */
int proxy_config_init(struct proxy_config *cfg, const struct options *opts, struct err *e);
/* Loads (or creates) the CA in opts->confdir so TLS can be intercepted, and
 * the custom certificates of opts->certs. */
int proxy_config_load_ca(struct proxy_config *cfg, struct err *e);
void proxy_config_clear(struct proxy_config *cfg);
/*
 * One listener's configuration: a copy of base whose mode is base->modes[i].
 * It borrows everything base owns (base must outlive it); clearing it is a
 * no-op. Make it after proxy_config_load_ca(base).
 */
void proxy_config_for_mode(const struct proxy_config *base, size_t i, struct proxy_config *out);

/*
 * A reference-counted configuration for the i-th of opts' modes (its
 * listener): opts is copied; ca is shared (a reference is taken; NULL:
 * TLS passes through untouched); --certs are loaded. Returns one
 * reference, or NULL with e naming the bad option. Loop thread only.
 */
const struct proxy_config *proxy_config_new(const struct options *opts, struct ca *ca, size_t i,
                                            struct err *e);
/* Adds a reference (nothing for a configuration initialized in place). */
const struct proxy_config *proxy_config_ref(const struct proxy_config *);
/* Drops one; the last frees it (nothing for one initialized in place). */
void proxy_config_unref(const struct proxy_config *);

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
    const struct proxy_config *cfg; /* one reference (see struct proxy_config) */
    uint64_t next_cmd_id;
    /* Transparent mode: where the client was going before the firewall's
     * REDIRECT (SO_ORIGINAL_DST), set by the driver; host NULL = unknown. */
    struct addr original_dst;
    /* What every log line of this connection starts with: "ip:port: " of
     * the client, or "[replay] " for client replay (as mitmproxy 8.1.1). */
    char log_prefix[80];
    /* The client speaks in datagrams (UDP, set by the driver): each EV_DATA
     * is one whole message, and closing the client ends the exchange. */
    int datagram;
};

/* A new context holding a reference to client and to cfg; free with context_free(). */
struct context *context_new(struct connection *client, const struct proxy_config *cfg);
/* Replaces the log prefix (at most 79 bytes are kept). */
void context_set_log_prefix(struct context *, const char *prefix);
void context_free(struct context *);

#endif
