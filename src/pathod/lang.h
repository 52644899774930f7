/*
 * The pathod spec language: the terse strings that tell pathod which
 * response to craft ("200:b@100:h'X'='y'") and pathoc which request to send
 * ("get:/:ir,@1"), plus WebSocket frames ("wf:b'hi':mask").
 *
 * Life of a spec, as the tools use it:
 *
 *   parse     text -> message; syntax only, nothing random yet.
 *   resolve   every random choice is fixed once (offsets r and a, generator
 *             seeds, WebSocket keys), automatic headers are added
 *             (Content-Length, Host, the WebSocket handshake) and <file
 *             values are checked against the static directory.
 *   spec      prints the resolved message back as a spec that re-parses and
 *             renders the very same bytes (pathoc -e, pathod's log).
 *   render    a pull stream of the message's bytes; bodies are generated as
 *             they are pulled, so "200:b@1t" streams in constant memory. It
 *             stops at every pause and disconnect point so the I/O code can
 *             act on it.
 *
 * Generated values of at most PATHOD_FREEZE_MAX bytes are turned into
 * literals by resolve (as pathod's freeze did); longer ones stay generators
 * and are printed with the seed resolve chose, as "@1g,ascii,s<hex>" (the
 * ",s<hex>" suffix is our extension to pathod's grammar), so the printed
 * spec stays short and still reproduces the bytes exactly.
 *
 * Frames default to opcode text with fin set (pathod left fin clear unless
 * the spec said fin; a frame spec here means a whole message unless it says
 * -fin).
 *
 * Offsets count bytes of the message as resolved, before injections; "a"
 * resolves to the message length (the end), "r" to a random byte offset
 * below it.
 *
 * No function here does I/O except resolve, which opens <file values (and
 * keeps the descriptor until the message is freed), and render, which reads
 * them. Nothing is printed; errors come back as negative MP_ERR_* with a
 * message in struct err.
 */
#ifndef MP_PATHOD_LANG_H
#define MP_PATHOD_LANG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"

/* Generated values up to this many bytes become literals when resolved. */
#define PATHOD_FREEZE_MAX 1024

struct pathod_settings {
    const char *staticdir; /* root for <file values; NULL = file values refused */
    const char *host;      /* automatic Host header for requests (not with `r`); NULL = none */
    /*
     * The Sec-WebSocket-Key of the client's handshake: a `ws` response
     * needs it to compute Sec-WebSocket-Accept. NULL = no handshake seen,
     * and resolving a `ws` response fails.
     */
    const char *ws_key;
    int is_client; /* pathoc: frames are masked unless the spec says -mask */
    /*
     * pathoc's rule for <file values: any path, relative ones from staticdir
     * (or the working directory when staticdir is NULL). pathod keeps this 0.
     */
    int unconstrained_files;
};

/* Opaque; each is owned by whoever parsed it and freed with its _free. */
struct pathod_response;
struct pathod_request;
struct pathod_frame;

/*
 * Parsing. Each returns a new message (caller frees) or NULL with e filled:
 * MP_ERR_SYNTAX with a message naming the offset and showing the spec with
 * a caret under the offending character, e.g.
 *   "parse error at offset 5: expected a value\n  200:b\n       ^".
 * The whole string must be one message; no surrounding whitespace.
 */
struct pathod_response *pathod_response_parse(const char *spec, struct err *e);
struct pathod_request *pathod_request_parse(const char *spec, struct err *e);
struct pathod_frame *pathod_frame_parse(const char *spec, struct err *e);
void pathod_response_free(struct pathod_response *);
void pathod_request_free(struct pathod_request *);
void pathod_frame_free(struct pathod_frame *);

/*
 * What pathoc accepts in one argument: one or more requests and frames
 * ("wf:...") separated by whitespace, as pathod's parse_pathoc did. The
 * list owns its items; free it with pathod_list_free.
 */
enum pathod_kind { PATHOD_REQUEST, PATHOD_RESPONSE, PATHOD_FRAME };

struct pathod_item {
    enum pathod_kind kind;
    struct pathod_request *req;   /* PATHOD_REQUEST */
    struct pathod_frame *frame;   /* PATHOD_FRAME */
    struct pathod_response *resp; /* PATHOD_RESPONSE */
};

struct pathod_list {
    struct pathod_item *items; /* owned */
    size_t n;
};

/* 0 and *out filled, or MP_ERR_SYNTAX (out left empty). */
int pathod_pathoc_parse(const char *spec, struct pathod_list *out, struct err *e);
/*
 * What pathod serves for a spec: a response, or a frame ("wf:...") when
 * the connection is already in WebSocket mode (parse_pathod).
 */
int pathod_pathod_parse(const char *spec, struct pathod_list *out, struct err *e);
void pathod_list_free(struct pathod_list *);

/*
 * Resolve, in place (see the top of this file). May be called again on a
 * resolved message: nothing changes. Errors: MP_ERR_INVAL (ws response
 * without settings->ws_key, key of the wrong length), MP_ERR_IO or
 * MP_ERR_INVAL for file values (no staticdir, path escaping it, not a
 * readable regular file). A message that failed to resolve may only be
 * freed.
 */
int pathod_response_resolve(struct pathod_response *, const struct pathod_settings *,
                            struct err *e);
int pathod_request_resolve(struct pathod_request *, const struct pathod_settings *, struct err *e);
int pathod_frame_resolve(struct pathod_frame *, const struct pathod_settings *, struct err *e);

/* Appends the spec of the message (resolved or not) to out, no NUL. */
void pathod_response_spec(const struct pathod_response *, struct buf *out);
void pathod_request_spec(const struct pathod_request *, struct buf *out);
void pathod_frame_spec(const struct pathod_frame *, struct buf *out);

/*
 * Rendering. The render borrows the message, which must be resolved and
 * must outlive it; free the render with pathod_render_free. Renders are
 * independent: rendering the same message twice gives the same bytes.
 */
struct pathod_render;
struct pathod_render *pathod_response_render(const struct pathod_response *);
struct pathod_render *pathod_request_render(const struct pathod_request *);
struct pathod_render *pathod_frame_render(const struct pathod_frame *);
void pathod_render_free(struct pathod_render *);

enum pathod_action_kind {
    PATHOD_ACT_NONE,       /* nothing: write the bytes and call again */
    PATHOD_ACT_PAUSE,      /* write the bytes, then sleep act.seconds and call again */
    PATHOD_ACT_DISCONNECT, /* write the bytes, then close the connection */
    PATHOD_ACT_DONE,       /* write the bytes; the message is complete */
};

struct pathod_action {
    enum pathod_action_kind kind;
    int64_t seconds; /* PAUSE: seconds to wait; -1 = forever */
};

/*
 * Fills dst[0..cap) with the next bytes of the message and returns how many
 * (0 is possible, e.g. a pause at offset 0), setting *act to what must
 * happen after they are written. After DISCONNECT or DONE every further
 * call returns 0 with the same kind. Negative MP_ERR_IO: a file value could
 * not be read (it shrank, say); the message is broken. cap must be > 0.
 *
 *   for (;;) {
 *       ssize_t n = pathod_render_next(r, buf, sizeof(buf), &act);
 *       if (n < 0) fail;
 *       write(fd, buf, n);
 *       if (act.kind == PATHOD_ACT_PAUSE) sleep(act.seconds);
 *       else if (act.kind != PATHOD_ACT_NONE) break;
 *   }
 */
ssize_t pathod_render_next(struct pathod_render *, uint8_t *dst, size_t cap,
                           struct pathod_action *act);
/* Bytes of the message proper (without injections); valid once resolved. */
uint64_t pathod_render_length(const struct pathod_render *);

/* Accessors, valid on parsed messages; the header lists need resolve first. */

/* The status code (101 for a resolved `ws` response; 0 for an unresolved one without code). */
int pathod_response_code(const struct pathod_response *);
/* 1 if the response is a `ws` handshake response (pathod switches to frames after it). */
int pathod_response_is_ws(const struct pathod_response *);
/*
 * The reason phrase as sent, at most max bytes (generated values are cut),
 * appended to out.
 */
void pathod_response_reason(const struct pathod_response *, struct buf *out, size_t max);
/* The body's length in bytes after resolve (0 without body). */
uint64_t pathod_response_body_length(const struct pathod_response *);

/* The method as sent ("GET" for `get` and for `ws` without method), at most max bytes. */
void pathod_request_method(const struct pathod_request *, struct buf *out, size_t max);
/* The request target as sent: the path plus the embedded `s` response spec. */
void pathod_request_path(const struct pathod_request *, struct buf *out, size_t max);
/* 1 for a `ws` request (pathoc switches to frames after a 101). */
int pathod_request_is_ws(const struct pathod_request *);
uint64_t pathod_request_body_length(const struct pathod_request *);

/* The repeat count `x` (1 when absent); rendering gives one repetition. */
uint64_t pathod_request_times(const struct pathod_request *);
uint64_t pathod_frame_times(const struct pathod_frame *);

/* The frame's opcode (0-15) and payload length as sent (after l overrides the header). */
int pathod_frame_opcode(const struct pathod_frame *);
uint64_t pathod_frame_payload_length(const struct pathod_frame *);

/*
 * Headers in the order they are sent, for logging: count, then name and
 * value of header i appended to name and value, each cut at max bytes.
 * Shortcuts (c, l, u) appear under their header names.
 */
size_t pathod_response_header_count(const struct pathod_response *);
void pathod_response_header(const struct pathod_response *, size_t i, struct buf *name,
                            struct buf *value, size_t max);
size_t pathod_request_header_count(const struct pathod_request *);
void pathod_request_header(const struct pathod_request *, size_t i, struct buf *name,
                           struct buf *value, size_t max);

/*
 * Sec-WebSocket-Accept for a client key (RFC 6455 4.2.2): writes the
 * 28-character base64 value and a NUL into out.
 */
void pathod_ws_accept(const char *key, char out[29]);

/* Appends p[0..n) escaped the way specs print literals (Python bytes repr, no quotes). */
void pathod_escape(struct buf *out, const uint8_t *p, size_t n);

#endif
