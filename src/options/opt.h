/*
 * The option registry: every option of mitmproxy 8.1.1 (`mitmdump --options`)
 * with its type, default and help, generated from one X-macro table so the
 * struct, the parser, `--options` and `--set` can never disagree.
 *
 * Types: BOOL (int 0/1), INT (long), STR (char *, never NULL; `choices` is a
 * "|"-separated list when only some values are valid), OPTSTR (char *, NULL
 * means None), SEQ (struct strv: "sequence of str").
 *
 * Configuration is immutable once serving starts: a change builds a new
 * struct options and swaps the pointer (DESIGN.md, Threads).
 */
#ifndef MP_OPTIONS_OPT_H
#define MP_OPTIONS_OPT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct strv {
    char **v; /* owned array of owned strings */
    size_t n;
};

/*
 * X(type, state, name, default, choices, help). state is ACTIVE for an
 * option this version acts on, PLANNED for one it accepts (so mitmproxy
 * command lines and config files keep working) but ignores for now; setting
 * a PLANNED option gets a warning at start-up.
 */
#define OPT_MAP(X) \
    X(BOOL, PLANNED, add_upstream_certs_to_client_chain, 0, NULL, "Add all certificates of the upstream server to the certificate chain that will be served to the proxy client, as extras.") \
    X(SEQ, ACTIVE, allow_hosts, NULL, NULL, "Opposite of --ignore-hosts.") \
    X(BOOL, ACTIVE, anticache, 0, NULL, "Strip out request headers that might cause the server to return 304-not-modified.") \
    X(BOOL, ACTIVE, anticomp, 0, NULL, "Try to convince servers to send us un-compressed data.") \
    X(BOOL, ACTIVE, block_global, 1, NULL, "Block connections from public IP addresses.") \
    X(SEQ, ACTIVE, block_list, NULL, NULL, "Block matching requests and return an empty response with the specified HTTP status. Option syntax is \"/flow-filter/status-code\", where flow-filter describes which requests this rule should be applied to and status-code is the HTTP status code to return for blocked requests. The separator (\"/\" in the example) can be any character. Setting a non-standard status code of 444 will close the connection without sending a response.") \
    X(BOOL, ACTIVE, block_private, 0, NULL, "Block connections from local (private) IP addresses. This option does not affect loopback addresses (connections from the local machine), which are always permitted.") \
    X(OPTSTR, ACTIVE, body_size_limit, NULL, NULL, "Byte size limit of HTTP request and response bodies. Understands k/m/g suffixes, i.e. 3m for 3 megabytes.") \
    X(OPTSTR, ACTIVE, cert_passphrase, NULL, NULL, "Passphrase for decrypting the private key provided in the --cert option.  Note that passing cert_passphrase on the command line makes your passphrase visible in your system's process list. Specify it in config.yaml to avoid this.") \
    X(SEQ, ACTIVE, certs, NULL, NULL, "SSL certificates of the form \"[domain=]path\". The domain may include a wildcard, and is equal to \"*\" if not specified. The file at path is a certificate in PEM format. If a private key is included in the PEM, it is used, else the default key in the conf dir is used. The PEM file should contain the full certificate chain, with the leaf certificate as the first entry.") \
    X(OPTSTR, ACTIVE, ciphers_client, NULL, NULL, "Set supported ciphers for client <-> mitmproxy connections using OpenSSL syntax.") \
    X(OPTSTR, ACTIVE, ciphers_server, NULL, NULL, "Set supported ciphers for mitmproxy <-> server connections using OpenSSL syntax.") \
    X(OPTSTR, ACTIVE, client_certs, NULL, NULL, "Client certificate file or directory.") \
    X(SEQ, ACTIVE, client_replay, NULL, NULL, "Replay client requests from a saved file.") \
    X(INT, ACTIVE, client_replay_concurrency, 1, NULL, "Concurrency limit on in-flight client replay requests. Currently the only valid values are 1 and -1 (no limit).") \
    X(BOOL, ACTIVE, command_history, 1, NULL, "Persist command history between mitmproxy invocations.") \
    X(STR, ACTIVE, confdir, "~/.mitmproxy", NULL, "Location of the default mitmproxy configuration files.") \
    X(OPTSTR, PLANNED, connect_addr, NULL, NULL, "Set the local IP address that mitmproxy should use when connecting to upstream servers.") \
    X(STR, PLANNED, connection_strategy, "eager", "eager|lazy", "Determine when server connections should be established. When set to lazy, mitmproxy tries to defer establishing an upstream connection as long as possible. This makes it possible to use server replay while being offline. When set to eager, mitmproxy can detect protocols with server-side greetings, as well as accurately mirror TLS ALPN negotiation.") \
    X(INT, ACTIVE, content_view_lines_cutoff, 512, NULL, "Flow content view lines limit. Limit is enabled by default to speedup flows browsing.") \
    X(STR, ACTIVE, dns_listen_host, "", NULL, "Address to bind DNS server to.") \
    X(INT, ACTIVE, dns_listen_port, 53, NULL, "DNS server service port.") \
    X(STR, ACTIVE, dns_mode, "regular", NULL, "One of \"regular\", \"reverse:<ip>[:<port>]\" or \"transparent\". regular....: requests will be resolved using the local resolver reverse....: forward queries to another DNS server transparent: transparent mode") \
    X(BOOL, ACTIVE, dns_server, 0, NULL, "Start a DNS server. Disabled by default.") \
    X(STR, ACTIVE, dumper_default_contentview, "auto", "auto|raw|hex|graphql|json|xml/html|wbxml|javascript|css|url-encoded|multipart form|image|query|protocol buffer|msgpack|grpc/protocol buffer", "The default content view mode.") \
    X(OPTSTR, ACTIVE, dumper_filter, NULL, NULL, "Limit which flows are dumped.") \
    X(BOOL, ACTIVE, export_preserve_original_ip, 0, NULL, "When exporting a request as an external command, make an effort to connect to the same IP as in the original request. This helps with reproducibility in cases where the behaviour depends on the particular host we are connecting to. Currently this only affects curl exports.") \
    X(INT, ACTIVE, flow_detail, 1, NULL, "The display detail level for flows in mitmdump: 0 (quiet) to 4 (very verbose).   0: no output   1: shortened request URL with response status code   2: full request URL with response status code and HTTP headers   3: 2 + truncated response content, content of WebSocket and TCP messages   4: 3 + nothing is truncated") \
    X(BOOL, ACTIVE, http2, 1, NULL, "Enable/disable HTTP/2 support. HTTP/2 support is enabled by default.") \
    X(INT, PLANNED, http2_ping_keepalive, 58, NULL, "Send a PING frame if an HTTP/2 connection is idle for more than the specified number of seconds to prevent the remote site from closing it. Set to 0 to disable this feature.") \
    X(SEQ, ACTIVE, ignore_hosts, NULL, NULL, "Ignore host and forward all traffic without processing it. In transparent mode, it is recommended to use an IP address (range), not the hostname. In regular mode, only SSL traffic is ignored and the hostname should be used. The supplied value is interpreted as a regular expression and matched on the ip or the hostname.") \
    X(BOOL, ACTIVE, keep_host_header, 0, NULL, "Reverse Proxy: Keep the original host header instead of rewriting it to the reverse proxy target.") \
    X(BOOL, ACTIVE, keepserving, 0, NULL, "Continue serving after client playback, server playback or file read. This option is ignored by interactive tools, which always keep serving.") \
    X(INT, ACTIVE, key_size, 2048, NULL, "TLS key size for certificates and CA.") \
    X(STR, ACTIVE, listen_host, "", NULL, "Address to bind proxy to.") \
    X(INT, ACTIVE, listen_port, 8080, NULL, "Proxy service port.") \
    X(SEQ, ACTIVE, map_local, NULL, NULL, "Map remote resources to a local file using a pattern of the form \"[/flow-filter]/url-regex/file-or-directory-path\", where the separator can be any character.") \
    X(SEQ, ACTIVE, map_remote, NULL, NULL, "Map remote resources to another remote URL using a pattern of the form \"[/flow-filter]/url-regex/replacement\", where the separator can be any character.") \
    X(SEQ, ACTIVE, mode, "regular", NULL, "Mode can be \"regular\", \"transparent\", \"socks5\", \"reverse:SPEC\", or \"upstream:SPEC\". For reverse and upstream proxy modes, SPEC is host specification in the form of \"http[s]://host[:port]\". Can be passed multiple times, one proxy server per mode. Append @listen_port or @listen_host:listen_port to override listen_host or listen_port for a specific mode. The upstream SPEC may also be \"socks5://[user:pass@]host[:port]\".") \
    X(SEQ, ACTIVE, modify_body, NULL, NULL, "Replacement pattern of the form \"[/flow-filter]/regex/[@]replacement\", where the separator can be any character. The @ allows to provide a file path that is used to read the replacement string.") \
    X(SEQ, ACTIVE, modify_headers, NULL, NULL, "Header modify pattern of the form \"[/flow-filter]/header- name/[@]header-value\", where the separator can be any character. The @ allows to provide a file path that is used to read the header value string. An empty header-value removes existing header-name headers.") \
    X(BOOL, PLANNED, normalize_outbound_headers, 1, NULL, "Normalize outgoing HTTP/2 header names, but emit a warning when doing so. HTTP/2 does not allow uppercase header names. This option makes sure that HTTP/2 headers set in custom scripts are lowercased before they are sent.") \
    X(BOOL, ACTIVE, onboarding, 1, NULL, "Toggle the mitmproxy onboarding app.") \
    X(STR, ACTIVE, onboarding_host, "mitm.it", NULL, "Onboarding app domain. For transparent mode, use an IP when a DNS entry for the app domain is not present.") \
    X(INT, ACTIVE, onboarding_port, 80, NULL, "Port to serve the onboarding app from.") \
    X(BOOL, PLANNED, proxy_debug, 0, NULL, "Enable debug logs in the proxy core.") \
    X(OPTSTR, ACTIVE, proxyauth, NULL, NULL, "Require proxy authentication. Format: \"username:pass\", \"any\" to accept any user/pass combination, \"@path\" to use an Apache htpasswd file, or \"ldap[s]:url_server_ldap[:port]:dn_auth:password:dn_subtree\" for LDAP authentication.") \
    X(BOOL, ACTIVE, rawtcp, 1, NULL, "Enable/disable raw TCP connections. TCP connections are enabled by default.") \
    X(OPTSTR, ACTIVE, readfile_filter, NULL, NULL, "Read only matching flows.") \
    X(OPTSTR, ACTIVE, rfile, NULL, NULL, "Read flows from file.") \
    X(OPTSTR, ACTIVE, save_stream_file, NULL, NULL, "Stream flows to file as they arrive. Prefix path with + to append. The full path can use python strftime() formating, missing directories are created as needed. A new file is opened every time the formatted string changes.") \
    X(OPTSTR, ACTIVE, save_stream_filter, NULL, NULL, "Filter which flows are written to file.") \
    X(SEQ, ACTIVE, scripts, NULL, NULL, "Execute a script.") \
    X(BOOL, ACTIVE, server, 1, NULL, "Start a proxy server. Enabled by default.") \
    X(SEQ, ACTIVE, server_replay, NULL, NULL, "Replay server responses from a saved file.") \
    X(BOOL, ACTIVE, server_replay_ignore_content, 0, NULL, "Ignore request content while searching for a saved flow to replay.") \
    X(BOOL, ACTIVE, server_replay_ignore_host, 0, NULL, "Ignore request destination host while searching for a saved flow to replay.") \
    X(SEQ, ACTIVE, server_replay_ignore_params, NULL, NULL, "Request parameters to be ignored while searching for a saved flow to replay.") \
    X(SEQ, ACTIVE, server_replay_ignore_payload_params, NULL, NULL, "Request payload parameters (application/x-www-form-urlencoded or multipart/form-data) to be ignored while searching for a saved flow to replay.") \
    X(BOOL, ACTIVE, server_replay_ignore_port, 0, NULL, "Ignore request destination port while searching for a saved flow to replay.") \
    X(BOOL, ACTIVE, server_replay_kill_extra, 0, NULL, "Kill extra requests during replay (for which no replayable response was found).") \
    X(BOOL, ACTIVE, server_replay_nopop, 0, NULL, "Don't remove flows from server replay state after use. This makes it possible to replay same response multiple times.") \
    X(BOOL, ACTIVE, server_replay_refresh, 1, NULL, "Refresh server replay responses by adjusting date, expires and last- modified headers, as well as adjusting cookie expiration.") \
    X(SEQ, ACTIVE, server_replay_use_headers, NULL, NULL, "Request headers that need to match while searching for a saved flow to replay.") \
    X(BOOL, ACTIVE, showhost, 0, NULL, "Use the Host header to construct URLs for display.") \
    X(BOOL, ACTIVE, ssl_insecure, 0, NULL, "Do not verify upstream server SSL/TLS certificates.") \
    X(OPTSTR, ACTIVE, ssl_verify_upstream_trusted_ca, NULL, NULL, "Path to a PEM formatted trusted CA certificate.") \
    X(OPTSTR, ACTIVE, ssl_verify_upstream_trusted_confdir, NULL, NULL, "Path to a directory of trusted CA certificates for upstream server verification prepared using the c_rehash tool.") \
    X(OPTSTR, ACTIVE, stickyauth, NULL, NULL, "Set sticky auth filter. Matched against requests.") \
    X(OPTSTR, ACTIVE, stickycookie, NULL, NULL, "Set sticky cookie filter. Matched against requests.") \
    X(OPTSTR, ACTIVE, stream_large_bodies, NULL, NULL, "Stream data to the client if response body exceeds the given threshold. If streamed, the body will not be stored in any way. Understands k/m/g suffixes, i.e. 3m for 3 megabytes.") \
    X(SEQ, ACTIVE, tcp_hosts, NULL, NULL, "Generic TCP SSL proxy mode for all hosts that match the pattern. Similar to --ignore-hosts, but SSL connections are intercepted. The communication contents are printed to the log in verbose mode.") \
    X(STR, ACTIVE, termlog_verbosity, "info", "error|warn|info|alert|debug", "Log verbosity.") \
    X(STR, ACTIVE, tls_version_client_max, "UNBOUNDED", "UNBOUNDED|SSL3|TLS1|TLS1_1|TLS1_2|TLS1_3", "Set the maximum TLS version for client connections.") \
    X(STR, ACTIVE, tls_version_client_min, "TLS1_2", "UNBOUNDED|SSL3|TLS1|TLS1_1|TLS1_2|TLS1_3", "Set the minimum TLS version for client connections.") \
    X(STR, ACTIVE, tls_version_server_max, "UNBOUNDED", "UNBOUNDED|SSL3|TLS1|TLS1_1|TLS1_2|TLS1_3", "Set the maximum TLS version for server connections.") \
    X(STR, ACTIVE, tls_version_server_min, "TLS1_2", "UNBOUNDED|SSL3|TLS1|TLS1_1|TLS1_2|TLS1_3", "Set the minimum TLS version for server connections.") \
    X(OPTSTR, ACTIVE, upstream_auth, NULL, NULL, "Add HTTP Basic authentication to upstream proxy and reverse proxy requests. Format: username:password.") \
    X(BOOL, ACTIVE, upstream_cert, 1, NULL, "Connect to upstream server to look up certificate details.") \
    X(BOOL, PLANNED, validate_inbound_headers, 1, NULL, "Make sure that incoming HTTP requests are not malformed. Disabling this option makes mitmproxy vulnerable to HTTP smuggling attacks.") \
    X(BOOL, ACTIVE, websocket, 1, NULL, "Enable/disable WebSocket support. WebSocket support is enabled by default.")

#define OPT_STATE_ACTIVE 0
#define OPT_STATE_PLANNED 1

#define OPT_CTYPE_BOOL int
#define OPT_CTYPE_INT long
#define OPT_CTYPE_STR char *
#define OPT_CTYPE_OPTSTR char *
#define OPT_CTYPE_SEQ struct strv

/* Each option's index in OPT_MAP (which is also the registry's order). */
enum opt_index {
#define X(type, state, name, def, choices, help) OPT_INDEX_##name,
    OPT_MAP(X)
#undef X
    OPT_COUNT
};

/* Options registered at run time (opt_register) follow OPT_MAP's: at most this many. */
#define OPT_DYN_MAX 256

/* The value of one option; for a registered option, struct options keeps one. */
union opt_slot {
    int b;          /* BOOL */
    long i;         /* INT */
    char *s;        /* STR, OPTSTR (owned; NULL is None) */
    struct strv seq; /* SEQ */
};

struct options {
#define X(type, state, name, def, choices, help) OPT_CTYPE_##type name;
    OPT_MAP(X)
#undef X
    /* Not options: per sequence option, whether opt_set() has set it since
     * opt_new(). The first set replaces the default (mitmproxy's `--set`
     * gives a sequence the values of this command line), later ones append. */
    unsigned char seq_set[OPT_COUNT + OPT_DYN_MAX];
    /* Values of registered options set in this struct (owned); the others
     * have their defaults. */
    union opt_slot *dyn;
    size_t ndyn;
    /* "name=value" settings of options not registered yet (opt_set_deferred);
     * those from a config file are dropped quietly if nothing registers them
     * (a config.yaml may hold the console's options when mitmdump reads it). */
    struct strv deferred;
    struct strv deferred_quiet;
};

enum opt_type { OPT_BOOL, OPT_INT, OPT_STR, OPT_OPTSTR, OPT_SEQ };

/*
 * What the text of a STR or OPTSTR option stands for. mitmproxy's float,
 * Optional[int], Optional[float] and Optional[bool] (scripts declare them)
 * are kept as text, so every reader of STR/OPTSTR keeps working; opt_set()
 * checks such a value and stores it in one canonical spelling ("7", "2.0",
 * "true"), and the script layer reads it back as its type.
 */
enum opt_value { OPT_VALUE_TEXT, OPT_VALUE_INT, OPT_VALUE_FLOAT, OPT_VALUE_BOOL };

/* One row of the registry, for `--options`, `--set` and the UIs. */
struct opt_info {
    const char *name;
    enum opt_type type;
    const char *choices; /* NULL, or "a|b|c" */
    const char *help;
    size_t offset; /* of the field in struct options (OPT_MAP's options only) */
    int planned;   /* accepted but not acted on yet (see OPT_MAP) */
    size_t index;  /* OPT_INDEX_name, or OPT_COUNT + k for the k-th registered one */
    int unlisted;  /* ours, not mitmproxy's: `--options` leaves it out (opt_register_ours) */
    enum opt_value value; /* STR/OPTSTR: what the text holds (opt_register_typed) */
    int absent; /* the tool's mitmproxy lacks it (opt_unlist): its UIs leave it out too */
};

/*
 * Which options a configure call is about: mitmproxy's `updated` set, one
 * bit per registry index. A NULL struct opt_changes * means all of them
 * (the first configure at start-up).
 */
struct opt_changes {
    unsigned char bits[(OPT_COUNT + OPT_DYN_MAX + 7) / 8];
};

/* Whether the option at index (OPT_INDEX_name) is in updated. */
int opt_changed(const struct opt_changes *updated, size_t index);
#define OPT_CHANGED(updated, name) opt_changed(updated, OPT_INDEX_##name)
/* The same by name (a registered option's addon asks this way). */
int opt_changed_name(const struct opt_changes *updated, const char *name);
/* Sets out to the options whose values differ between a and b; returns how many. */
size_t opt_diff(const struct options *a, const struct options *b, struct opt_changes *out);
/* Adds index to ch. */
void opt_changes_add(struct opt_changes *ch, size_t index);

/* OPT_MAP's rows, in name order; *n receives the count. */
const struct opt_info *opt_registry(size_t *n);
/* Every option, registered ones included: opt_at(0 .. opt_count() - 1). */
size_t opt_count(void);
const struct opt_info *opt_at(size_t index);
/*
 * The options a tool's UIs list (mitmweb's GET /options, the console's
 * options screen), sorted by name: every option but those opt_unlist()
 * took out, as 8.1.1 lists only the options of the addons the tool loads.
 * Ours stay (opt_register_ours): `--options` leaves them out to read as
 * 8.1.1's, but a UI is where they are found and set. Returns the count;
 * *out is a new array the caller frees.
 */
size_t opt_listed(const struct opt_info ***out);
const struct opt_info *opt_find(const char *name);
/*
 * Registers an option at run time (mitmproxy's loader.add_option, for
 * scripts): def is the default as --set would write it (NULL: false, 0,
 * "" or None, an empty sequence). Registering the same name and type again
 * is allowed (a script reloaded) and returns the same index. Returns the
 * option's index, or a negative MP_ERR_* when the name is taken by another
 * option, is not an identifier, or OPT_DYN_MAX are registered.
 */
int opt_register(const char *name, enum opt_type type, const char *def, const char *choices,
                 const char *help, struct err *e);
/*
 * opt_register() by mitmproxy's name of the type (typespec_to_str's words:
 * "bool", "int", "str", "optional str", "sequence of str", "float",
 * "optional int") and the two 8.1.1 declares but cannot name, "optional
 * float" and "optional bool". The typed ones are text options with a value
 * kind (enum opt_value); their default is checked as a --set value is.
 */
int opt_register_typed(const char *name, const char *type_name, const char *def,
                       const char *choices, const char *help, struct err *e);
/*
 * opt_register() for an option of this project that mitmproxy lacks: set,
 * saved and read like any other, but left out of `--options`, whose list
 * stays mitmproxy's, so that a tool comparing it finds no stranger.
 */
int opt_register_ours(const char *name, enum opt_type type, const char *def, const char *choices,
                      const char *help, struct err *e);
/*
 * Leaves an option out of `--options` and the UIs (opt_listed()) from now
 * on, for a tool whose mitmproxy does not have it (8.1.1 registers
 * mitmdump's flow_detail in an addon that mitmweb does not load); it is
 * still read and set as before.
 * 0, or MP_ERR_NOTFOUND when no option has that name.
 */
int opt_unlist(const char *name);
/*
 * The value of any option by its row, a registered one's included (an
 * addon that registered "intercept" reads it so). The type must match.
 */
int opt_get_bool(const struct options *, const struct opt_info *);
long opt_get_int(const struct options *, const struct opt_info *);
const char *opt_get_str(const struct options *, const struct opt_info *); /* NULL: None */
const struct strv *opt_get_seq(const struct options *, const struct opt_info *);

/* "bool", "int", "str", "optional str", "sequence of str" (mitmproxy's words). */
const char *opt_type_name(enum opt_type);
/* The option's type in mitmproxy's words, a typed text option's included
 * ("float", "optional int"): what `--options` and the UIs show. */
const char *opt_info_type_name(const struct opt_info *);

/* A new options struct holding every default; free with opt_free(). */
struct options *opt_new(void);
void opt_free(struct options *);
/* A deep copy (for building the next configuration). */
struct options *opt_copy(const struct options *);

/*
 * `--set name=value` semantics of mitmproxy: with value NULL (no "="),
 * booleans become true, optional strings None and sequences empty; booleans
 * take true, false or toggle; a sequence's first set replaces its default
 * (mode: ["regular"]) and every later one appends one value; choices
 * and integers are checked. Errors name the option and the bad value.
 */
int opt_set(struct options *, const char *name, const char *value, struct err *e);
/* Sets one option back to its default (options.reset.one). */
void opt_reset_one(struct options *, const struct opt_info *);
/* Parses "name=value" or "name". */
int opt_set_arg(struct options *, const char *arg, struct err *e);
/*
 * As opt_set_arg(), but a setting of an option that does not exist yet is
 * kept (a script may register it): opt_apply_deferred() applies those whose
 * option now exists (the first bad value is the error) and keeps the rest,
 * which o->deferred lists for the caller to report.
 */
int opt_set_deferred(struct options *, const char *arg, struct err *e);
int opt_apply_deferred(struct options *, struct err *e);

/*
 * Reads mitmproxy's config.yaml format (a mapping of option names to
 * values; lists as [a, b] or "- a" lines) into o, with mitmproxy's type
 * checks. Unknown names are kept in o->deferred_quiet. Errors name the line
 * ("Config error at line 3: listen_port expects a int, not a str").
 */
int opt_load_yaml(struct options *, const char *text, size_t len, struct err *e);
/* The same from a file; a file that does not exist is no error. */
int opt_load_file(struct options *, const char *path, struct err *e);
/* mitmproxy's start-up read of confdir/config.yaml, then config.yml. */
int opt_load_config(struct options *, const char *confdir, struct err *e);
/*
 * Writes the options that differ from their defaults (all with
 * defaults=1) in the format opt_load_yaml() reads, as options.save does.
 */
void opt_save_yaml(const struct options *, int defaults, void *file);
/* Writes the option's current value as `--options` shows it into out. */
void opt_format_value(const struct options *, const struct opt_info *, char *out, size_t outlen);
/* Prints every option with its help, type and default (YAML, like mitmdump --options). */
void opt_dump(const struct options *, void *file);

/* Parses a size with optional k/m/g/t suffix ("3m" -> 3145728); -1 on error. */
int64_t opt_parse_size(const char *s, struct err *e);

void strv_push(struct strv *, const char *s);
void strv_clear(struct strv *);

#endif
