/*
 * WebSocket frames (RFC 6455, section 5) without I/O: a frame parser that
 * works on whatever bytes have arrived, a message reader that reassembles
 * fragmented messages while letting control frames through in between, and
 * a frame writer with masking. The proxy layer (proxy/layers/websocket.c)
 * feeds it bytes and decides what to do with complete messages.
 */
#ifndef MP_HTTP_WS_H
#define MP_HTTP_WS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"

enum ws_opcode {
    WS_CONTINUATION = 0x0,
    WS_TEXT = 0x1,
    WS_BINARY = 0x2,
    WS_CLOSE = 0x8,
    WS_PING = 0x9,
    WS_PONG = 0xa,
};

/* Control frames carry at most this many payload bytes (RFC 6455 5.5). */
#define WS_MAX_CONTROL 125

struct ws_frame {
    int fin;
    int rsv; /* the three RSV bits, RSV1 = 4 */
    int opcode;
    int masked;
    uint8_t key[4];
    uint64_t len; /* payload length */
};

/*
 * Parses one whole frame from p[0..n). On success returns the bytes it took
 * and appends the unmasked payload to payload. MP_ERR_INCOMPLETE: the frame
 * is not all there yet (nothing is appended). MP_ERR_PROTOCOL: a rule of
 * RFC 6455 is broken (reserved opcode, RSV bit not negotiated, fragmented
 * or long control frame, non-minimal or 64-bit length with the top bit set,
 * wrong masking for the direction); MP_ERR_LIMIT: payload longer than
 * max_payload. from_client: client frames must be masked, server frames
 * must not. allow_rsv1: permessage-deflate was negotiated.
 */
ssize_t ws_frame_parse(const uint8_t *p, size_t n, int from_client, int allow_rsv1,
                       uint64_t max_payload, struct ws_frame *f, struct buf *payload,
                       struct err *e);

/* XORs p[0..n) with key, starting at offset bytes into the masking stream. */
void ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t offset);

/*
 * Appends one frame to out: key NULL sends it unmasked (server to client),
 * otherwise masked with key (client to server). rsv1 marks a compressed
 * message's first frame.
 */
void ws_frame_write(struct buf *out, int fin, int rsv1, int opcode, const uint8_t *key,
                    const void *p, size_t n);

/*
 * Reassembles messages from one direction's bytes. Control frames come out
 * as soon as they are complete, even in the middle of a fragmented message.
 */
struct ws_reader {
    int from_client;
    int allow_rsv1;
    uint64_t max_message; /* 0 = no limit */
    struct buf in;        /* owned: bytes not yet parsed */
    struct buf msg;       /* owned: fragments of the current data message */
    int msg_opcode;       /* 0 = no data message in progress */
    int msg_compressed;
};

void ws_reader_init(struct ws_reader *, int from_client, int allow_rsv1, uint64_t max_message);
void ws_reader_clear(struct ws_reader *);
/* Appends bytes that arrived (copied). */
void ws_reader_feed(struct ws_reader *, const void *p, size_t n);
/*
 * The next complete message: returns 1 with its opcode (never
 * WS_CONTINUATION), whether it was compressed (RSV1), and its payload moved
 * into *payload (which must be empty; the caller owns it after). 0: more
 * bytes needed. Negative MP_ERR_*: the stream is broken (see
 * ws_frame_parse, plus continuation without a message, data frame inside a
 * fragmented message, message over max_message).
 */
int ws_reader_next(struct ws_reader *, int *opcode, int *compressed, struct buf *payload,
                   struct err *e);

/* A close frame's payload: code 1005 ("no status") and "" when empty. */
int ws_close_parse(const uint8_t *p, size_t n, int *code, const uint8_t **reason,
                   size_t *reason_len);

/*
 * permessage-deflate (RFC 7692) for one direction of messages: inflate what
 * the sender compressed, deflate what we forward in its place. window_bits
 * and no_takeover are the sender's negotiated parameters (its
 * *_max_window_bits and *_no_context_takeover).
 */
struct z_stream_s;
struct ws_deflate {
    struct z_stream_s *inf; /* owned; NULL until first used */
    struct z_stream_s *def; /* owned; NULL until first used */
    int window_bits;        /* 9..15 */
    int no_takeover;
};

/* Parses a Sec-WebSocket-Extensions value; returns 1 if permessage-deflate
 * was accepted, with the client's and the server's parameters. */
int ws_deflate_params(const char *header, int *client_bits, int *client_no_takeover,
                      int *server_bits, int *server_no_takeover);
void ws_deflate_init(struct ws_deflate *, int window_bits, int no_takeover);
void ws_deflate_clear(struct ws_deflate *);
/* Appends the inflated message to out; MP_ERR_LIMIT past max bytes (0 = no
 * limit), MP_ERR_PROTOCOL if the data is not valid deflate. */
int ws_inflate_message(struct ws_deflate *, const uint8_t *p, size_t n, uint64_t max,
                       struct buf *out, struct err *e);
/* Appends the compressed form of p[0..n) to out (the 00 00 ff ff tail removed). */
void ws_deflate_message(struct ws_deflate *, const uint8_t *p, size_t n, struct buf *out);

#endif
