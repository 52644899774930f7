/*
 * What the files of src/web/ share. Everything runs on the master's loop
 * but the log sink (any thread), which only appends to the event ring
 * under its lock; WebSockets read the ring on their tick.
 */
#ifndef MP_WEB_INTERNAL_H
#define MP_WEB_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "http/headers.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/uuid.h"

struct filt;
struct opt_changes;
struct options;
struct flow;
struct master;
struct store;
struct web_ws;

/* How many log lines /events keeps (mitmproxy's EventStore keeps 10,000). */
#define WEB_EVENTS_SIZE 10000
/* The WebSocket tick: pending updates go out together this often. */
#define WEB_TICK_MS 50
/* A batch with more changed flows than this says "overflow" instead. */
#define WEB_BATCH_MAX 500
/* Events per batch; the rest are in /events. */
#define WEB_BATCH_EVENTS 200
/* A windowed list gives at most this many flows. */
#define WEB_WINDOW_MAX 1000
/* Request bodies (a flow file to load) up to this size. */
#define WEB_MAX_BODY ((uint64_t)1 << 30)

struct web_event {
    uint64_t id; /* 1, 2, ... in the order logged */
    enum log_level level;
    char *msg; /* owned */
};

struct web {
    struct addon *addon; /* the chain owns it; it points back here */
    struct master *master;
    struct store *store;
    int store_sub; /* store_subscribe handle, 0 when none */
    int log_sink;  /* log_add_sink id, -1 when none */
    int listener;  /* server_listen_app index, -1 before web_start */
    int port;
    char token[33];       /* the random token (web_password unset) */
    char *password;       /* web_password, or NULL: the token is the password */
    uint8_t key[32];      /* signs the auth cookie; made at start-up */
    char cookie_name[40]; /* mitmproxy-auth-<web_port> */
    char *url;
    int loopback; /* web_host is a loopback address: Host is checked */
    /* The event log: a ring of the last WEB_EVENTS_SIZE lines. */
    pthread_mutex_t lock;
    struct web_event *events;
    size_t nevents, first; /* entries in use, index of the oldest */
    uint64_t next_event;   /* the id the next line gets */
    uint64_t events_reset; /* bumped by /clear: sockets send events/reset */
    /* Open WebSockets, for the store's events. */
    struct web_ws **ws;
    size_t nws, capws;
};

/* b's bytes as a C string: a NUL is kept after them (not counted in len)
 * until b changes. */
static inline const char *
web__cstr(struct buf *b)
{
    buf_append(b, "", 1);
    b->len--;
    return (const char *)buf_ptr(b);
}

/* ---- auth.c ------------------------------------------------------------- */

struct web_req;
struct web_resp;

/* A new random token into out (32 hex digits). */
void web__random_hex(char *out, size_t nbytes);
/*
 * The checks every request goes through before a route sees it (README.md,
 * "Authentication"): Host, the credentials, and for writes Sec-Fetch-Site
 * and the XSRF token. Returns 0 to go on (rs then may carry cookies to
 * set), or a status (403) with rs->body saying why.
 */
int web__check(struct web *, struct web_req *, struct web_resp *, int is_websocket);
/* Whether password is the token or web_password, in constant time. */
int web__valid_password(const struct web *, const char *password, size_t n);
/* The auth cookie's value for this server (HMAC of the token). */
void web__auth_cookie(const struct web *, char out[65]);

/* ---- conn.c: one connection ------------------------------------------- */

/* One request, as a route sees it. */
struct web_req {
    const char *method;
    const char *path;  /* percent-decoded, without the query */
    const char *query; /* raw, after '?' ("" for none) */
    const struct hdrs *headers;
    const struct buf *body;
    struct web_ws *ws; /* the connection's WebSocket, once upgraded */
    int bearer;        /* authenticated by Authorization: Bearer */
};

/* One response; web__respond_* fill it. */
struct web_resp {
    int status;
    struct hdrs headers;
    struct buf body;
};

void web__resp_init(struct web_resp *);
void web__resp_clear(struct web_resp *);
/* A status with a plain-text reason (the reason phrase when msg is NULL). */
int web__error(struct web_resp *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Makes rs a 200 with Content-Type application/json and starts j on its
 * body: the handler writes the JSON, then json_clear(j). */
void web__json_init(struct json *j, struct web_resp *rs);
/* 200 with this content type and a copy of p[0..n). */
void web__body(struct web_resp *, const char *content_type, const void *p, size_t n);

struct context;
struct layer;
/* The root layer of a connection to the server (server_listen_app's
 * root_new; arg is the struct web). */
struct layer *web__conn_new(struct context *ctx, void *arg);

/* A query parameter's value (percent-decoded, malloc'd) or NULL. */
char *web__query(const struct web_req *, const char *name);

/* ---- routes.c, flows.c ---------------------------------------------------- */

/* Flow ids in the order store_select() gives them; free(v) when done. */
struct web_ids {
    char (*v)[UUID_STR_LEN];
    size_t n, cap;
};

/* store_select()'s callback that appends each id to the struct web_ids arg. */
void web__ids_collect(void *arg, size_t pos, const char *id);

struct jv;
struct http_request;

/* A handler: args are the pattern's placeholders, in order (decoded). */
typedef void (*web_handler)(struct web *, struct web_req *, struct web_resp *, char **args);

struct web_route {
    const char *method;
    const char *pattern; /* "/flows/:id/:msg/content.data" */
    web_handler fn;
};

/* Answers a request that passed web__check(). */
void web__route(struct web *, struct web_req *, struct web_resp *);
/* The request's JSON body into *out (jv_free() it); otherwise 400 in rs
 * and a negative return. */
int web__json_body(struct web_req *, struct web_resp *, struct jv **out);

void web__flows_get(struct web *, struct web_req *, struct web_resp *, char **args);
void web__dump_get(struct web *, struct web_req *, struct web_resp *, char **args);
void web__dump_post(struct web *, struct web_req *, struct web_resp *, char **args);
void web__resume_all(struct web *, struct web_req *, struct web_resp *, char **args);
void web__kill_all(struct web *, struct web_req *, struct web_resp *, char **args);
void web__flow_put(struct web *, struct web_req *, struct web_resp *, char **args);
/* Applies a PUT /flows/<id> "request" object to r (method, scheme, host,
 * port, path, http_version, headers, trailers, content); stops at the
 * first bad field, with r partly changed. */
int web__edit_request(struct http_request *r, const struct jv *obj, struct err *e);
void web__flow_get(struct web *, struct web_req *, struct web_resp *, char **args);
void web__flow_delete(struct web *, struct web_req *, struct web_resp *, char **args);
void web__flow_resume(struct web *, struct web_req *, struct web_resp *, char **args);
void web__flow_kill(struct web *, struct web_req *, struct web_resp *, char **args);
void web__flow_duplicate(struct web *, struct web_req *, struct web_resp *, char **args);
void web__flow_replay(struct web *, struct web_req *, struct web_resp *, char **args);
void web__flow_revert(struct web *, struct web_req *, struct web_resp *, char **args);
void web__content_get(struct web *, struct web_req *, struct web_resp *, char **args);
void web__content_post(struct web *, struct web_req *, struct web_resp *, char **args);
void web__content_view(struct web *, struct web_req *, struct web_resp *, char **args);

/* ---- resend.c, upload.c --------------------------------------------------- */

/* POST /flows/resend: a new flow from an edited copy of a request. */
void web__flows_resend(struct web *, struct web_req *, struct web_resp *, char **args);
/* The first part of a multipart/form-data body p[0..n) whose Content-Type
 * is ct[0..ctlen), as *file[0..*len) (pointing into p). Returns 0, or -1
 * when there is no boundary or no complete part (*file and *len are then
 * left as they were). */
int web__upload_file(const char *ct, size_t ctlen, const uint8_t *p, size_t n, const uint8_t **file,
                     size_t *len);

/* ---- flowjson.c ---------------------------------------------------------- */

/* mitmproxy's flow_to_json (current mitmproxy's, app.py). */
void web__flow_json(struct json *, const struct flow *);
/*
 * Ours (GET /flows?list=1): the same object with only what the app's flow
 * table shows (its columns, row icons and badges); the detail pane reads
 * the whole flow. No body is hashed and no header is written but a
 * response's Content-Type, which picks the row's icon.
 */
void web__flow_row_json(struct json *, const struct flow *);
/* The options o as mitmproxy's optmanager.dump_dicts(): those in only
 * (NULL: all), by name. */
void web__options_json(struct json *, const struct options *o, const struct opt_changes *only);
/* One event as logentry_to_json. */
void web__event_json(struct json *, uint64_t id, enum log_level level, const char *msg);

/* ---- updates.c ------------------------------------------------------------ */

/* A WebSocket of /updates: its filters and what it has not been sent.
 * batch: flows/batch and events/batch messages; list: flows in the
 * list-only shape (web__flow_row_json) rather than whole. */
struct web_ws *web__ws_new(struct web *, int batch, int list);
void web__ws_free(struct web *, struct web_ws *);
/* A text message from the client (flows/updateFilter); returns 0, or a
 * negative MP_ERR_* to close the socket with 1011. Replies go to out. */
int web__ws_message(struct web *, struct web_ws *, const uint8_t *p, size_t n, struct buf *out);
/* The tick: appends the frames to send to out (nothing if nothing changed). */
void web__ws_flush(struct web *, struct web_ws *, struct buf *out);
/* The store's events (a store_event_cb), fanned out to every socket. */
void web__store_event(void *arg, enum store_event ev, const char *id, size_t index);
/* Every socket sends options/update with the options in updated (NULL:
 * all), and state/update when the proxy's listeners changed. */
void web__options_changed(struct web *, const struct options *o, const struct opt_changes *updated);
/* /state's "servers": {spec: {...}} of the proxy's listeners under o. */
void web__servers_json(struct json *, const struct web *, const struct options *o);

/* ---- web.c --------------------------------------------------------------- */

/* Appends an event (any thread). */
void web__log(struct web *, enum log_level, const char *msg);
/* Empties the event log (/clear). */
void web__events_clear(struct web *);

#endif
