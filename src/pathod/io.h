/*
 * The blocking connection pathod and pathoc share: a socket, plain or TLS
 * (OpenSSL directly on the socket), with read timeouts, pauses a stop pipe
 * can cut short, and optional copies of what passes for the -q/-r/-x logs;
 * and the log line helpers both tools print with.
 */
#ifndef MP_PATHOD_IO_H
#define MP_PATHOD_IO_H

#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"

/* At most this much of a request or response is kept for a dump. */
#define PATHOD_DUMP_MAX (1024 * 1024)

/*
 * A blocking connection, plain or TLS, shared by pathod and pathoc.
 */
struct pathod_io {
    int fd;           /* owned; -1 once closed */
    void *ssl;        /* SSL *, owned; NULL for plain */
    int stop_fd;      /* borrowed; readable = give up waiting (pauses, reads); -1 = none */
    int timeout_ms;   /* per read; 0 = forever */
    int timed_out;    /* the last read failed by timeout */
    struct buf in;    /* owned: bytes read but not yet used */
    struct buf *rlog; /* borrowed; when set, bytes read are appended (up to PATHOD_DUMP_MAX) */
    struct buf *wlog; /* borrowed; when set, bytes written are appended (ditto) */
    uint64_t written; /* bytes written so far */
};

void pathod_io_init(struct pathod_io *, int fd, int stop_fd, int timeout_ms);
/* Closes the socket and frees the TLS session and buffers. */
void pathod_io_close(struct pathod_io *);
/* Reads what is available (at least one byte) into io->in. Returns the count,
 * 0 on orderly close, or MP_ERR_IO (timed_out says if it was the timeout). */
ssize_t pathod_io_fill(struct pathod_io *);
/* Writes all of p[0..n). Returns 0 or MP_ERR_IO. */
int pathod_io_write(struct pathod_io *, const void *p, size_t n);
/* Sleeps ms milliseconds (ms < 0: until stop_fd fires). Returns -1 if stop_fd fired. */
int pathod_io_pause(struct pathod_io *, int ms);

/*
 * TLS over the io's socket. ctx is an SSL_CTX *. Server side: SNI (if the
 * client sent one) is returned in *sni as a malloc'd string. Client side:
 * sni may be NULL. Both return 0 or MP_ERR_IO with e set.
 */
int pathod_io_tls_accept(struct pathod_io *, void *ctx, char **sni, struct err *e);
int pathod_io_tls_connect(struct pathod_io *, void *ctx, const char *sni, struct err *e);
/* "TLS_AES_256_GCM_SHA384 TLSv1.3 256" style description; malloc'd; NULL for plain. */
char *pathod_io_cipher(const struct pathod_io *);

/* pathod's log line helpers: "DD-MM-YY HH:MM:SS: " and a hexdump or escaped dump
 * of p[0..n), one "\t"-indented line per 16 bytes or per text line. */
void pathod_timestamp(struct buf *out);
void pathod_dump(struct buf *out, const uint8_t *p, size_t n, int hexdump);

#endif
