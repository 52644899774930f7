/*
 * Content views: a body turned into lines of styled text, as mitmproxy
 * 8.1.1's contentviews show it (mitmdump --flow-detail 3, the console's
 * flow view, mitmweb's /content/<view>.json). One table, CV_VIEW_MAP, lists
 * every view with its name; the option dumper_default_contentview, the
 * console's view menu and the web API all read it.
 *
 * A view renders incrementally: cv_render_step() appends at most max_lines
 * lines and does about budget bytes of work per call, so a UI asks for the
 * first page of a 100 MB body and gets it at once, and a view that has to
 * read the whole body before its first line (JSON must be valid to be shown
 * pretty) does that over several loop turns instead of blocking. Views that
 * 8.1.1 cannot apply fall back to Raw, as 8.1.1 does ("Couldn't parse:
 * falling back to Raw"); bad input never crashes a view.
 *
 * Token text is UTF-8 made safe to print the way 8.1.1's safe_to_print does
 * (control characters but tab, CR and LF become "."). Where 8.1.1 keeps
 * undecodable bytes of a body as surrogate escapes, which its output turns
 * back into the bytes, those bytes are kept as they are: a UI that needs
 * strict UTF-8 replaces them.
 */
#ifndef MP_CONTENTVIEWS_CV_H
#define MP_CONTENTVIEWS_CV_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct flow;
struct hdrs;
struct http_request;
struct http_response;

/* Token styles: mitmproxy's palette names. */
#define CV_STYLE_MAP(X)                                                                            \
    X(TEXT, "text")                                                                                \
    X(HEADER, "header")                                                                            \
    X(HIGHLIGHT, "highlight")                                                                      \
    X(OFFSET, "offset")                                                                            \
    X(ERROR, "error")                                                                              \
    X(JSON_STRING, "json_string")                                                                  \
    X(JSON_NUMBER, "json_number")                                                                  \
    X(JSON_BOOLEAN, "json_boolean")                                                                \
    X(CONTENT_NONE, "content_none")

enum cv_style {
#define X(id, name) CV_STYLE_##id,
    CV_STYLE_MAP(X)
#undef X
        CV_STYLE__COUNT
};

const char *cv_style_name(enum cv_style);

/*
 * X(id, name, file): every view of mitmproxy 8.1.1, in the order 8.1.1
 * registers them (its menus and the option's choices list them so). Auto
 * picks the view that rates the body highest, each view's rating being
 * 8.1.1's render_priority; file names the view's source, <file>.c.
 */
#define CV_VIEW_MAP(X)                                                                             \
    X(AUTO, "Auto", auto)                                                                          \
    X(RAW, "Raw", raw)                                                                             \
    X(HEX, "Hex", hex)                                                                             \
    X(GRAPHQL, "GraphQL", graphql)                                                                 \
    X(JSON, "JSON", json)                                                                          \
    X(XML_HTML, "XML/HTML", xml)                                                                   \
    X(WBXML, "WBXML", wbxml)                                                                       \
    X(JAVASCRIPT, "JavaScript", js)                                                                \
    X(CSS, "CSS", css)                                                                             \
    X(URLENCODED, "URL-encoded", urlencoded)                                                       \
    X(MULTIPART, "Multipart Form", multipart)                                                      \
    X(IMAGE, "Image", image)                                                                       \
    X(QUERY, "Query", query)                                                                       \
    X(PROTOBUF, "Protocol Buffer", protobuf)                                                       \
    X(MSGPACK, "MsgPack", msgpack)                                                                 \
    X(GRPC, "gRPC/Protocol Buffer", grpc)

enum cv_view {
#define X(id, name, file) CV_VIEW_##id,
    CV_VIEW_MAP(X)
#undef X
        CV_VIEW__COUNT
};

/* The name of view v (a built-in or an added one), or NULL for no view. */
const char *cv_view_name(enum cv_view);
/* The view named name, ignoring case (as contentviews.get()), or -1. */
int cv_view_find(const char *name);

/*
 * Rendered lines, packed: the text of every token back to back in one
 * buffer, so a million lines cost three allocations. Line i's tokens are
 * tok[line[i].tok ..] up to the next line's first token; their text starts
 * at text + line[i].off, each token's len bytes after the previous one's.
 * A token has at most CV_TOK_MAX bytes: longer text is several tokens of
 * the same style.
 */
#define CV_TOK_MAX ((1u << 27) - 1)

struct cv_tok {
    uint32_t style : 5; /* enum cv_style */
    uint32_t len : 27;
};

struct cv_line_at {
    size_t tok; /* index of the line's first token */
    size_t off; /* offset of its text in text */
};

struct cv_lines {
    struct buf text;
    struct cv_tok *tok; /* owned array of ntok */
    size_t ntok, captok;
    struct cv_line_at *line; /* owned array of n */
    size_t n, cap;
};

#define CV_LINES_INIT {BUF_INIT, NULL, 0, 0, NULL, 0, 0}

/* One line, borrowed from a struct cv_lines until it changes. */
struct cv_line {
    const struct cv_tok *tok;
    size_t ntok;
    const char *text; /* the tokens' text, back to back */
    size_t len;
};

void cv_lines_init(struct cv_lines *);
void cv_lines_clear(struct cv_lines *);
/* Drops every line but keeps the storage, for a UI that shows a page at a time. */
void cv_lines_reset(struct cv_lines *);
void cv_lines_get(const struct cv_lines *, size_t i, struct cv_line *out);

/*
 * What a view may look at besides the bytes. Everything is read by
 * cv_render_new() only (what a view needs later is copied), so none of it
 * has to outlive that call.
 */
struct cv_meta {
    const char *content_type;           /* "type/subtype" lower-case, as 8.1.1 passes it; or NULL */
    const struct http_request *request; /* set when the bytes are this request's body (Query) */
    const struct hdrs *headers;         /* the HTTP message's headers (gRPC's grpc-encoding) */
    const struct flow *flow;            /* may be NULL */
};

struct cv_render;

/*
 * Starts rendering body with view (CV_VIEW_AUTO to let the priorities
 * choose). The body's storage moves into the render (body is left empty),
 * so the bytes stay valid however long a UI keeps paging. Never fails.
 */
struct cv_render *cv_render_new(enum cv_view, struct buf *body, const struct cv_meta *);

/*
 * mitmproxy's get_message_content_view: the body of rq (or of rs, when rq
 * is NULL), decoded per its Content-Encoding ("[decoded gzip]" goes in front
 * of the description; a body that does not decode is shown as it is, with
 * "[cannot decode]"), its Content-Type parsed to "type/subtype". A body
 * that is missing (streamed, content=None) gives the one line "content
 * missing". view_name is matched as cv_view_find() does; an unknown name
 * means Auto. f may be NULL.
 */
struct cv_render *cv_render_message(const char *view_name, const struct flow *f,
                                    const struct http_request *rq, const struct http_response *rs);
/*
 * The same without copying a body that needs no decoding (no
 * Content-Encoding): the render reads the message's own bytes, so the
 * message must outlive the render and its body stay unchanged meanwhile
 * (a UI that holds a finished flow while it shows it). A body to decode
 * is decoded into the render as above.
 */
struct cv_render *cv_render_message_borrowed(const char *view_name, const struct flow *f,
                                             const struct http_request *rq,
                                             const struct http_response *rs);
/* The same for a TCP or WebSocket message: bytes without a content type. */
struct cv_render *cv_render_bytes(const char *view_name, const struct flow *f, const uint8_t *p,
                                  size_t n);
/* The same reading p where it is: p must stay valid and unchanged while
 * the render lives (a finished flow's message that a UI holds). */
struct cv_render *cv_render_bytes_borrowed(const char *view_name, const struct flow *f,
                                           const uint8_t *p, size_t n);

/*
 * Views added at run time (a script's contentviews.add()), offered by
 * name and in Auto like the built-in ones. Both functions are called
 * while cv_render_new() runs, with the body and the meta of that call:
 * priority stores 8.1.1's render_priority (a float) in *prio; render
 * appends its lines (cv_lines_add_line/_tok) and sets *desc, the
 * description, to a malloc'd string (NULL: the view's name). Either
 * returns 0, or -1 to fail: the body is then shown as Raw, as 8.1.1 does
 * for a view that raises, with *error (malloc'd, may stay NULL) as the
 * reason. release, if set, frees arg once the view is removed.
 */
struct cv_view_ops {
    int (*priority)(void *arg, const uint8_t *p, size_t n, const struct cv_meta *, double *prio);
    int (*render)(void *arg, const uint8_t *p, size_t n, const struct cv_meta *,
                  struct cv_lines *out, char **desc, char **error);
    void (*release)(void *arg);
};

struct err;
/*
 * Adds a view named name after every view there is. Returns its id (an
 * enum cv_view value past CV_VIEW__COUNT), or MP_ERR_EXISTS when a view
 * has that name (ignoring case), MP_ERR_INVAL for an empty name.
 */
int cv_view_add(const char *name, const struct cv_view_ops *, void *arg, struct err *e);
/* Removes the added view named name; MP_ERR_NOTFOUND if there is none.
 * Renders made before keep the lines it gave them. */
int cv_view_remove(const char *name);
/* Removes every added view (the plugin's shutdown, a test's end). */
void cv_view_remove_all(void);
/*
 * View v's render_priority for a body in 8.1.1's units (Raw rates 0.1,
 * a view that fails 0; Auto -1), for a script that builds on a built-in
 * view (contentviews.get("JSON").render_priority(...)).
 */
double cv_view_priority(enum cv_view v, const uint8_t *p, size_t n, const struct cv_meta *m);
/* One past the highest view id: cv_view_name() of 0 .. count-1 names
 * every view there is, and NULL for ids whose view was removed. */
int cv_view_count(void);

/* For render functions: a new line, and a token on the last line (the
 * first token makes a line if there is none). style is a style name of
 * CV_STYLE_MAP (any other is "text"); text is UTF-8, made safe to print
 * as 8.1.1's safe_to_print does. */
void cv_lines_add_line(struct cv_lines *);
void cv_lines_add_tok(struct cv_lines *, const char *style, const char *text, size_t n);

/*
 * Appends at most max_lines lines to out (0: no limit) and stops after
 * about budget bytes of work (0: no limit). Returns 1 while more lines may
 * follow, 0 once the render is complete. The first lines of Raw, Hex,
 * Query and URL-encoded come at once; XML/HTML checks that the body is
 * UTF-8 and then formats as lines are asked for; JSON (and GraphQL, and
 * Auto on an application/json body) reads the whole body first, CSS and
 * JavaScript run their passes over it, both a budget at a time; the binary
 * decoders (protobuf, gRPC, MsgPack, WBXML, Multipart, Image) decode on
 * their first call and then hand out lines.
 */
int cv_render_step(struct cv_render *, struct cv_lines *out, size_t max_lines, size_t budget);
/* The work left of the last cv_render_step()'s budget (0: it ran out), for
 * a caller that spreads one budget over several outputs. */
size_t cv_render_budget_left(const struct cv_render *);
/* Renders everything (or up to max_lines; 0: all) in one go. */
void cv_render_all(struct cv_render *, struct cv_lines *out, size_t max_lines);

/*
 * The description 8.1.1 shows above a view ("JSON", "[decoded gzip] HTML",
 * "Couldn't parse: falling back to Raw", "No content"). NULL while the view
 * has not decided yet (a JSON body still being read). Borrowed.
 */
const char *cv_render_description(const struct cv_render *);
/* The view that renders: the chosen one for Auto, CV_VIEW_RAW after a fallback. */
enum cv_view cv_render_view(const struct cv_render *);
/* Why the view fell back to Raw (for a debug log), or NULL. Borrowed. */
const char *cv_render_error(const struct cv_render *);
void cv_render_free(struct cv_render *);

/*
 * mitmproxy's net.http.parse_content_type reduced to what views take:
 * "type/subtype" lower-cased from a Content-Type value, or NULL when it has
 * no "/". Returns a malloc'd string.
 */
char *cv_content_type(const char *value, size_t len);

#endif
