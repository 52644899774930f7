/*
 * The flow store: mitmproxy's View addon (addons/view.py), the shared core
 * of the console UI and the web UI. It keeps every flow in the order it
 * arrived, shows a filtered and ordered view of them, tracks a focus,
 * marks, comments and per-flow settings, and tells its subscribers what
 * changed (add, update, remove, refresh), as View's signals do.
 *
 * Beyond mitmproxy it bounds memory. A flow the proxy is done with does
 * not stay a struct flow: it becomes a row of about 200 bytes (what the
 * list shows, sorts and most filters read, with interned strings), its
 * record without bodies (our flow-file format, zstd-compressed against a
 * dictionary of similar records, about 300 bytes), and its bodies in an
 * append-only log whose newest memory_budget bytes stay in RAM and the rest
 * in a temporary file. A flow is materialized again (store_get()) when a
 * UI opens it or a command needs it; filters run on the rows and, for the
 * operators that need more, on a borrowed view of the record, with the
 * filter engine's own code, so results are those of filt_match().
 *
 *   struct store *s = store_new(&cfg);
 *   store_subscribe(s, on_event, ui);
 *   store_add(s, f);                      (or: the store as an addon sees the hooks)
 *   store_set_filter(s, "~m post", &e);   on_event(..., STORE_REFRESH, ...)
 *   store_view_info(s, 0, &info);         the first row of the list
 *   f = store_view_flow(s, 0);            the flow itself, one reference
 *
 * Threads: the store belongs to the loop's thread. It runs work on its own
 * worker threads (filtering in parallel while the caller waits, loading
 * files in the background) and hands results back through cfg.post (the
 * master's master_post); nothing else is called across threads.
 */
#ifndef MP_STORE_STORE_H
#define MP_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "util/err.h"

struct addon;
struct cmds;
struct cmds_flows;
struct store;

/* The in-memory budget for bodies when none is given: 256 MiB. */
#define STORE_DEFAULT_BUDGET (256ull << 20)

struct store_config {
    uint64_t memory_budget; /* bytes of bodies kept in RAM; 0 means STORE_DEFAULT_BUDGET */
    const char *tmpdir;     /* for the body file (copied); NULL: $TMPDIR, else /tmp */
    unsigned threads;       /* worker threads; 0: everything on the caller's thread */
    /*
     * Runs fn(arg) on the loop's thread, soon, from any thread
     * (master_post). NULL: the store runs background work to its end
     * before the call that started it returns.
     */
    void (*post)(void *ctx, void (*fn)(void *arg), void *arg);
    void *post_ctx;
};

/* A new empty store (cfg is copied; NULL for the defaults). */
struct store *store_new(const struct store_config *cfg);
/* Frees the store and every flow reference it holds; waits for its workers.
 * A store added to an addon chain is freed by the chain instead. */
void store_free(struct store *);

/*
 * Events, as View's signals: ADD, UPDATE and REMOVE are about the view
 * (a flow entered it, changed in it, left it; index is its position,
 * before the removal for REMOVE), REFRESH says the view was rebuilt
 * (filter, order, clear), FOCUS that the focus moved. STORE_REMOVE and
 * STORE_REFRESH are about the store (a flow left it, whether shown or not;
 * flows were cleared). Events come after the change, on the loop's thread;
 * id is borrowed for the call. Applying ADD and REMOVE events in order to a
 * copy of the list at the given indices keeps it equal to the view.
 */
#define STORE_EVENT_MAP(X)                                                                         \
    X(ADD, "add")                                                                                  \
    X(UPDATE, "update")                                                                            \
    X(REMOVE, "remove")                                                                            \
    X(REFRESH, "refresh")                                                                          \
    X(FOCUS, "focus")                                                                              \
    X(STORE_REMOVE, "store_remove")                                                                \
    X(STORE_REFRESH, "store_refresh")

enum store_event {
#define X(name, str) STORE_##name,
    STORE_EVENT_MAP(X)
#undef X
};

const char *store_event_name(enum store_event);

typedef void (*store_event_cb)(void *arg, enum store_event ev, const char *id, size_t index);
/* Adds a subscriber; returns a handle for store_unsubscribe(). */
int store_subscribe(struct store *, store_event_cb cb, void *arg);
void store_unsubscribe(struct store *, int handle);

/*
 * Flows in. store_add() keeps a reference to f and shows it if the filter
 * matches; a flow whose id is there already is ignored (returns 0; 1 when
 * added). store_update() is for a flow that changed (a hook, an edit, an
 * interception): the row follows it, it enters or leaves the view as the
 * filter now says, and moves when its order key changed; a flow not in
 * the store is ignored. A flow given to either stays a struct flow while
 * anybody else holds it and is compacted afterwards.
 */
int store_add(struct store *, struct flow *f);
void store_update(struct store *, struct flow *f);
/*
 * view.flows.remove for one flow: a live flow is killed first. Returns 0,
 * or MP_ERR_NOTFOUND when no flow has that id.
 */
int store_remove(struct store *, const char *id);
/* view.clear: every flow goes (REFRESH, then STORE_REFRESH); loads stop. */
void store_clear(struct store *);
/* view.clear_unmarked: the unmarked flows go. */
void store_clear_unmarked(struct store *);

/* Flows in the store, and in the view. */
size_t store_count(const struct store *);
size_t store_view_len(const struct store *);

/*
 * What the flow list shows of one flow. Strings are borrowed until the
 * flow changes or leaves the store (id: until the next info call); never
 * NULL ("" for none) but is_replay.
 */
struct store_info {
    const char *id;
    enum flow_type type;
    double timestamp_created;
    int has_request;
    const char *method; /* HTTP; "TCP" for TCP flows, the op code for DNS */
    const char *scheme;
    const char *host; /* request host; TCP: the server's address */
    uint16_t port;
    const char *path;  /* DNS: the first question's name */
    const char *http_version; /* DNS: the first question's type ("A"), "" if none */
    int has_response;
    int status_code;    /* DNS: the response code */
    const char *reason; /* DNS: the answers as 8.1.1's list joins them (", ") */
    const char *response_http_version;
    const char *content_type; /* the response's first Content-Type, "" if none */
    uint64_t request_size;    /* bodies as stored (still encoded) */
    uint64_t response_size;
    int response_content_none; /* the response's content is None (never read) */
    uint64_t size; /* the size order's key: request and response bodies, TCP messages */
    /* 0 = None; DNS: the query's and the answer's times are the starts. */
    double request_timestamp_start, request_timestamp_end;
    double response_timestamp_start, response_timestamp_end;
    /* TCP: client_conn's address ("" if none) and start, and the last
     * message's time (0 = no message); 8.1.1's TCP row. */
    const char *client_host;
    uint16_t client_port;
    double client_timestamp_start, last_message_timestamp;
    const char *marked;  /* "" when not marked */
    const char *comment;
    int error;
    int intercepted;
    /* Intercepted, and its client has left meanwhile (client_conn's
     * timestamp_end is set): when it goes on it ends with an error. */
    int client_gone;
    const char *is_replay; /* NULL, "request" or "response" */
    int websocket;
    int live;
    int modified; /* flow_modified(): changed since its backup */
};

/* The info of the flow at view index i (0 <= i < store_view_len()); 0 or MP_ERR_NOTFOUND. */
int store_view_info(struct store *, size_t i, struct store_info *out);
int store_info(struct store *, const char *id, struct store_info *out);
/* The view index of the flow, or -1 when it is not shown. */
long store_view_index(struct store *, const char *id);
/*
 * The flow itself, one reference for the caller: the live flow, or the
 * stored one made a struct flow again (bodies read back from RAM or disk).
 * The same object comes back while anybody holds it; changes to it are
 * kept (call store_update() so the list follows). NULL when there is no
 * such flow (or, with e set, when its record cannot be read back).
 */
struct flow *store_get(struct store *, const char *id, struct err *e);
struct flow *store_view_flow(struct store *, size_t i);

/* mitmproxy's view orders, by the names view_order takes. */
#define STORE_ORDER_MAP(X)                                                                         \
    X(TIME, "time")                                                                                \
    X(METHOD, "method")                                                                            \
    X(URL, "url")                                                                                  \
    X(SIZE, "size")

enum store_order {
#define X(name, str) STORE_ORDER_##name,
    STORE_ORDER_MAP(X)
#undef X
};

const char *store_order_name(enum store_order);
/* The order of that name into *out: 0, or -1 for a name not in the map. */
int store_order_parse(const char *name, enum store_order *out);
/* view.order.set: "Unknown flow order: x" for a name not in the map. */
int store_set_order(struct store *, const char *name, struct err *e);
enum store_order store_get_order(const struct store *);
/* view.order.reverse (a REFRESH follows). */
void store_set_reversed(struct store *, int reversed);
int store_reversed(const struct store *);
/*
 * view.filter.set: NULL or "" shows every flow. The error is mitmproxy's
 * ("Invalid filter expression: '~x'"); the view is then unchanged.
 */
int store_set_filter(struct store *, const char *expr, struct err *e);
/* The filter expression (NULL for none). */
const char *store_filter(const struct store *);
/* view.properties.marked.toggle: show only marked flows (from the next refilter). */
void store_set_show_marked(struct store *, int on);
int store_show_marked(const struct store *);
/* console_focus_follow: the focus moves to every flow that enters the view. */
void store_set_focus_follow(struct store *, int on);

/*
 * A list of flows apart from the view, which it leaves alone (the web
 * API's windowed list and per-connection filters): the flows matching
 * filter (NULL or "": all) ordered by order, reversed if asked, ties in
 * store order. each(arg, pos, id) runs for the positions offset to
 * offset + limit - 1 (limit 0: to the end), id borrowed for the call; when
 * want_id is given, *want_pos gets its position (-1: not in the list).
 * Returns the length of the whole list, or MP_ERR_SYNTAX with mitmproxy's
 * message for a filter that does not parse. When filter and order are the
 * view's own (and marked flows are not singled out), it reads the view,
 * either way round: O(limit) for a window.
 */
typedef void (*store_select_cb)(void *arg, size_t pos, const char *id);
long store_select(struct store *, const char *filter, enum store_order order, int reversed,
                  size_t offset, size_t limit, store_select_cb each, void *arg,
                  const char *want_id, long *want_pos, struct err *e);

/* The focus: its view index, or -1 with no focus. */
long store_focus_index(struct store *);
/* Its id (borrowed until the focus moves), or NULL. */
const char *store_focus_id(struct store *);
/* Focuses the flow (it must be shown): 0, or MP_ERR_NOTFOUND. NULL drops the focus. */
int store_set_focus(struct store *, const char *id);
/* view.focus.go, view.focus.next, view.focus.prev. */
void store_focus_go(struct store *, long offset);
void store_focus_next(struct store *);
void store_focus_prev(struct store *);

/* Marks and comments: the flow's marked ("" unmarks) or comment changes, an
 * update follows. 0, or MP_ERR_NOTFOUND. */
int store_set_marked(struct store *, const char *id, const char *marker);
int store_set_comment(struct store *, const char *id, const char *comment);

/* view.settings: a string per key per flow, gone with the flow. NULL if unset. */
const char *store_setting(struct store *, const char *id, const char *key);
int store_set_setting(struct store *, const char *id, const char *key, const char *value);

/*
 * view.flows.resolve: "@all", "@focus", "@shown", "@hidden", "@marked",
 * "@unmarked", "@id,id,..." or a filter expression, with mitmproxy's
 * errors. out gets one reference per flow, in store order ("@shown": view
 * order). The command registry's resolver.
 */
int store_resolve(struct store *, const char *spec, struct cmds_flows *out, struct err *e);

/*
 * view.flows.load: reads a flow file into the store in the background;
 * each flow gets a new id and goes through no addon. The first flows show
 * at once. done(arg, rc, n, e) runs on the loop's thread when it is over:
 * rc 0 and n flows added, or a negative MP_ERR_* with e naming the file and
 * the damaged record (the flows before it stay). Returns 0, or MP_ERR_IO
 * when the file cannot be opened (done is not called then).
 */
typedef void (*store_load_cb)(void *arg, int rc, size_t nflows, const struct err *e);
int store_load(struct store *, const char *path, store_load_cb done, void *arg, struct err *e);
/*
 * store_load() with flags. STORE_LOAD_KEEP_IDS: the flows of a flow file
 * keep the ids they were saved with, and one whose id is in the store
 * already is skipped, as store_add() skips it: the store then holds what
 * the flow hooks of -r would give it (mitmproxy's readfile). HAR files
 * have no ids; theirs are new either way.
 */
#define STORE_LOAD_KEEP_IDS 1u
int store_load_flags(struct store *, const char *path, unsigned flags, store_load_cb done,
                     void *arg, struct err *e);

/*
 * A reader for another file format, chosen by the file's first byte
 * (after white space): HAR files start with '{'. It runs on a worker
 * thread with the open file, hands each flow to emit (which takes the
 * reference; a negative return means stop) and returns 0 or MP_ERR_* with
 * e. name is for messages. Flow files (tnetstrings, a digit) need none.
 */
typedef int (*store_emit_cb)(void *ctx, struct flow *f);
typedef int (*store_reader_fn)(FILE *f, const char *name, store_emit_cb emit, void *ctx,
                               struct err *e);
void store_set_reader(struct store *, unsigned char first_byte, store_reader_fn fn);

/*
 * Where the memory goes, in bytes. per_flow is everything but bodies
 * divided by the flows: what the 1 KB-per-flow bound is about.
 */
struct store_memory {
    size_t flows;
    size_t rows;        /* the row table (capacity) */
    size_t index;       /* id hash and view */
    size_t records;     /* compressed records in RAM, with allocator overhead */
    size_t strings;     /* interned strings and header sets */
    size_t dicts;       /* compression dictionaries */
    size_t live;        /* flows held as struct flow (estimated) */
    size_t bodies_ram;  /* the body log's resident part */
    uint64_t bodies_disk; /* the body log's part in the temporary file */
    size_t per_flow;
};
void store_memory(const struct store *, struct store_memory *out);

/* The store as an addon (mitmproxy's View): it sees the flow hooks and
 * reads view_filter, view_order, view_order_reversed,
 * console_focus_follow. A chain it is added to owns the store. */
struct addon *store_addon(struct store *);
/*
 * Registers the store's options (mitmproxy's View.load(): view_filter,
 * view_order, view_order_reversed, console_focus_follow, and ours,
 * store_memory_budget). mitmdump has no store, so they exist only where
 * a store does, as in mitmproxy.
 */
int store_register_options(struct err *e);
/* Registers the view.* commands and the flow-spec resolver in cmds. */
int store_register_commands(struct store *, struct cmds *cmds, struct err *e);

#endif
