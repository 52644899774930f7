/*
 * Sockets for tests that run the real server: a small HTTP/1.1 origin on
 * 127.0.0.1 in a thread of its own, and blocking clients whose every read
 * has a timeout (a broken proxy fails the test instead of hanging it).
 */
#ifndef MP_TESTS_TNET_H
#define MP_TESTS_TNET_H

#include <stddef.h>

struct torigin;

/*
 * Starts the origin: each request (keep-alive, bodies skipped by
 * Content-Length) is answered 200 with the request head it received as
 * the body, so a test can see what the proxy sent. A WebSocket upgrade is
 * answered 101, and then every frame is echoed back.
 */
struct torigin *torigin_start(void);
int torigin_port(const struct torigin *);
/* Requests answered so far. */
int torigin_requests(const struct torigin *);
void torigin_stop(struct torigin *);

/* A connected socket to 127.0.0.1:port (fails the test otherwise). */
int tnet_connect(int port);
/* Sends all of s. */
void tnet_send(int fd, const char *s);
/*
 * Reads one response with a Content-Length body into out (NUL-terminated,
 * head and body); returns its status code, or -1 on timeout, close or a
 * response that does not fit.
 */
int tnet_response(int fd, char *out, size_t outlen, int timeout_ms);
/* Whether nothing arrives on fd for ms milliseconds. */
int tnet_quiet(int fd, int ms);

/* A masked text frame (under 1 KiB), as a client sends it. */
void tnet_ws_send(int fd, const char *text);
/* One unmasked frame's payload into out (NUL-terminated); its length, or
 * -1 on timeout, close or a frame that does not fit. */
int tnet_ws_recv(int fd, char *out, size_t outlen, int timeout_ms);

#endif
