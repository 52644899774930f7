/*
 * pathod in-process: a server on 127.0.0.1:0 driven with plain sockets.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/test.h"
#include "pathod/server.h"
#include "util/buf.h"

/* The server logs a request after its response is written, so a client that has read the
 * response may look before the entry is there: wait a little for want entries. */
static size_t
log_wait(struct pathod_server *s, struct pathod_log_entry **l, size_t want)
{
    size_t n = 0;
    for (int i = 0; i < 200; i++) {
        n = pathod_server_log(s, l);
        if (n >= want)
            return n;
        pathod_log_free(*l, n);
        usleep(10 * 1000);
    }
    return pathod_server_log(s, l);
}

static int
connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT(fd >= 0);
    ASSERT_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void
send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        ASSERT(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

/* Reads until the server closes; returns the byte count, keeping at most keep bytes. */
static uint64_t
read_all(int fd, struct buf *out, size_t keep)
{
    char tmp[65536];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0)
            break;
        if (out && out->len < keep)
            buf_append(out, tmp, (size_t)n);
        total += (uint64_t)n;
    }
    return total;
}

/* One request on its own connection; the write side is shut so pathod closes after answering. */
static void
exchange(int port, const char *req, struct buf *out)
{
    int fd = connect_port(port);
    send_all(fd, req, strlen(req));
    shutdown(fd, SHUT_WR);
    read_all(fd, out, 1 << 20);
    close(fd);
}

static struct pathod_server *
start(const struct pathod_config *cfg)
{
    struct err e = {0};
    struct pathod_server *s = pathod_server_start(cfg, &e);
    if (!s)
        test_fail(__FILE__, __LINE__, "start: %s", e.msg);
    ASSERT(pathod_server_port(s) > 0);
    return s;
}

static int
has(const struct buf *b, const char *needle)
{
    return memmem(buf_ptr(b), b->len, needle, strlen(needle)) != NULL;
}

static int
starts(const struct buf *b, const char *prefix)
{
    return b->len >= strlen(prefix) && memcmp(buf_ptr(b), prefix, strlen(prefix)) == 0;
}

TEST(pathod_craft_200)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /p/200 HTTP/1.1\r\nHost: x\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    ASSERT(has(&out, "Content-Length: 0\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_craft_body_and_headers)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /p/201:b'hello':h'X-A'='b' HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 201 Created\r\n"));
    ASSERT(has(&out, "X-A: b\r\n"));
    ASSERT(has(&out, "Content-Length: 5\r\n"));
    ASSERT(has(&out, "\r\n\r\nhello"));
    buf_clear(&out);
    /* Percent-escapes in the path are decoded before parsing, as pathod's unquote did. */
    exchange(pathod_server_port(s), "GET /p/200:b%27ab%27 HTTP/1.1\r\n\r\n", &out);
    ASSERT(has(&out, "\r\n\r\nab"));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_keep_alive)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int fd = connect_port(pathod_server_port(s));
    const char *two = "GET /p/200:b'a' HTTP/1.1\r\n\r\nGET /p/204 HTTP/1.1\r\n\r\n";
    send_all(fd, two, strlen(two));
    shutdown(fd, SHUT_WR);
    struct buf out = BUF_INIT;
    read_all(fd, &out, 1 << 20);
    close(fd);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    ASSERT(has(&out, "HTTP/1.1 204 No Content\r\n"));
    buf_clear(&out);
    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 2);
    ASSERT_EQ(n, 2);
    /* Newest first, both from the same client port. */
    ASSERT_STREQ(l[0].path, "/p/204");
    ASSERT_STREQ(l[1].path, "/p/200:b'a'");
    ASSERT_STREQ(l[0].remote_address, l[1].remote_address);
    pathod_log_free(l, n);
    pathod_server_stop(s);
}

TEST(pathod_anchor)
{
    struct pathod_anchor a[] = {{"/foo", "202:b'anchored'"}, {"/ba[rz]$", "203"}};
    struct pathod_config cfg = {.anchors = a, .nanchors = 2};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /foo/bar HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 202 Accepted\r\n"));
    ASSERT(has(&out, "anchored"));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /baz HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 203 "));
    buf_reset(&out);
    /* Anchored at the start of the path, as Python's re.match. */
    exchange(pathod_server_port(s), "GET /x/foo HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Not found\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_anchor_bad_config)
{
    struct pathod_anchor bad_re[] = {{"(", "200"}};
    struct pathod_config cfg = {.anchors = bad_re, .nanchors = 1};
    struct err e = {0};
    ASSERT(pathod_server_start(&cfg, &e) == NULL);
    ASSERT(strstr(e.msg, "invalid regex in anchor") != NULL);
    struct pathod_anchor bad_spec[] = {{"/x", "foo"}};
    cfg.anchors = bad_spec;
    ASSERT(pathod_server_start(&cfg, &e) == NULL);
    ASSERT(strstr(e.msg, "invalid spec in anchor /x") != NULL);
}

TEST(pathod_errors_800)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int port = pathod_server_port(s);
    struct buf out = BUF_INIT;
    exchange(port, "GET /nothing HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Not found\r\n"));
    ASSERT(has(&out, "pathod error: No valid craft request found"));
    buf_reset(&out);
    exchange(port, "GET /p/foo HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Parse Error\r\n"));
    ASSERT(has(&out, "Error parsing response spec: "));
    buf_reset(&out);
    exchange(port, "GET /p/ HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Not found\r\n"));
    buf_reset(&out);
    /* No static dir: file values are refused. */
    exchange(port, "GET /p/200:b<file HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 File access denied.\r\n"));
    buf_reset(&out);
    exchange(port, "GARBAGE\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Bad request\r\n"));
    buf_clear(&out);
    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 4);
    ASSERT(n >= 4);
    ASSERT_STREQ(l[0].type, "error");
    ASSERT_EQ(l[1].code, 800);
    ASSERT(l[1].error_response);
    pathod_log_free(l, n);
    pathod_server_stop(s);
}

TEST(pathod_staticdir)
{
    char dir[] = "/tmp/pathod-static-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof(path), "%s/hello.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("static content", f);
    fclose(f);
    struct pathod_config cfg = {.staticdir = dir};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /p/200:b<hello.txt HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    ASSERT(has(&out, "\r\n\r\nstatic content"));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /p/200:b<../../etc/passwd HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 File access denied.\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
    unlink(path);
    rmdir(dir);
}

TEST(pathod_proxy_form)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s),
             "GET http://example.com/p/202 HTTP/1.1\r\nHost: example.com\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 202 Accepted\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_connect_plain)
{
    struct pathod_config cfg = {.plain_connect = 1};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s),
             "CONNECT example.com:80 HTTP/1.1\r\n\r\nGET /p/205 HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 200 Connection established\r\n"));
    ASSERT(has(&out, "HTTP/1.1 205 "));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_log_api)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int port = pathod_server_port(s);
    struct buf out = BUF_INIT;
    exchange(port, "PUT /p/200:b@100 HTTP/1.1\r\nX-Test: yes\r\nContent-Length: 3\r\n\r\nabc",
             &out);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    buf_reset(&out);

    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 1);
    ASSERT_EQ(n, 1);
    ASSERT_STREQ(l[0].type, "crafted");
    ASSERT_STREQ(l[0].method, "PUT");
    ASSERT_STREQ(l[0].path, "/p/200:b@100");
    ASSERT_EQ(l[0].code, 200);
    ASSERT(l[0].bytes > 100);
    ASSERT(hdrs_get(&l[0].headers, "X-Test") != NULL);
    pathod_log_free(l, n);

    exchange(port, "GET /api/log HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    ASSERT(has(&out, "Content-Type: application/json"));
    ASSERT(has(&out, "{\"log\": [{\"id\": 0, \"type\": \"crafted\""));
    ASSERT(has(&out, "\"method\": \"PUT\""));
    ASSERT(has(&out, "\"path\": \"/p/200:b@100\""));
    ASSERT(has(&out, "[\"X-Test\", \"yes\"]"));
    ASSERT(has(&out, "\"response\": {\"code\": 200"));
    buf_reset(&out);
    exchange(port, "GET /api/info HTTP/1.1\r\n\r\n", &out);
    ASSERT(has(&out, "{\"version\": \""));
    buf_reset(&out);
    exchange(port, "GET /api/clear_log HTTP/1.1\r\n\r\n", &out);
    ASSERT(has(&out, "\r\n\r\nOK"));
    buf_clear(&out);
    n = pathod_server_log(s, &l);
    ASSERT_EQ(n, 0);
    pathod_log_free(l, n);
    pathod_server_stop(s);
}

TEST(pathod_disconnect)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int fd = connect_port(pathod_server_port(s));
    const char *req = "GET /p/200:b@100:d50 HTTP/1.1\r\n\r\n";
    send_all(fd, req, strlen(req));
    /* The write side stays open: only the spec's disconnect can end this read. */
    uint64_t n = read_all(fd, NULL, 0);
    close(fd);
    ASSERT_EQ(n, 50);
    struct pathod_log_entry *l;
    size_t k = log_wait(s, &l, 1);
    ASSERT_EQ(k, 1);
    ASSERT(l[0].disconnect);
    pathod_log_free(l, k);
    pathod_server_stop(s);
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(pathod_pause)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    double t0 = now();
    exchange(pathod_server_port(s), "GET /p/200:b@10:p5,1 HTTP/1.1\r\n\r\n", &out);
    ASSERT(now() - t0 >= 0.9);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_pause_forever_interrupted_by_stop)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int fd = connect_port(pathod_server_port(s));
    const char *req = "GET /p/200:b@10:p0,f HTTP/1.1\r\n\r\n";
    send_all(fd, req, strlen(req));
    usleep(200 * 1000);
    double t0 = now();
    pathod_server_stop(s);
    ASSERT(now() - t0 < 5);
    close(fd);
}

TEST(pathod_nohang_and_sizelimit)
{
    struct pathod_config cfg = {.nohang = 1, .sizelimit = 1000};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /p/200:b@10:p0,1 HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Pauses have been disabled.\r\n"));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /p/200:b@1k HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Response too large.\r\n"));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /p/200:b@100 HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_nocraft)
{
    struct pathod_anchor a[] = {{"/ok", "200"}};
    struct pathod_config cfg = {.nocraft = 1, .anchors = a, .nanchors = 1};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /p/200 HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Crafting disabled.\r\n"));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /ok HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 200 OK\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
}

TEST(pathod_large_lazy_body)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int fd = connect_port(pathod_server_port(s));
    const char *req = "GET /p/200:b@64m HTTP/1.1\r\n\r\n";
    send_all(fd, req, strlen(req));
    shutdown(fd, SHUT_WR);
    struct buf head = BUF_INIT;
    uint64_t n = read_all(fd, &head, 1);
    close(fd);
    ASSERT(has(&head, "Content-Length: 67108864\r\n"));
    char *end = memmem(buf_ptr(&head), head.len, "\r\n\r\n", 4);
    ASSERT(end != NULL);
    ASSERT_EQ(n - (uint64_t)(end + 4 - (char *)buf_ptr(&head)), 64ull << 20);
    buf_clear(&head);
    pathod_server_stop(s);
}

TEST(pathod_stop_with_client_not_reading)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int fd = connect_port(pathod_server_port(s));
    const char *req = "GET /p/200:b@1g HTTP/1.1\r\n\r\n";
    send_all(fd, req, strlen(req));
    usleep(300 * 1000);
    /* The writer is blocked on a full socket buffer; stop must still return. */
    pathod_server_stop(s);
    close(fd);
}

static void
ws_send(int fd, int opcode, const char *payload)
{
    size_t n = strlen(payload);
    uint8_t frame[256];
    ASSERT(n < 126);
    frame[0] = (uint8_t)(0x80 | opcode);
    frame[1] = (uint8_t)(0x80 | n);
    uint8_t key[4] = {1, 2, 3, 4};
    memcpy(frame + 2, key, 4);
    for (size_t i = 0; i < n; i++)
        frame[6 + i] = (uint8_t)payload[i] ^ key[i % 4];
    send_all(fd, (const char *)frame, 6 + n);
}

TEST(pathod_websocket)
{
    struct pathod_config cfg = {0};
    struct pathod_server *s = start(&cfg);
    int fd = connect_port(pathod_server_port(s));
    const char *hs = "GET /anything HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n";
    send_all(fd, hs, strlen(hs));
    /* Read the 101 head. */
    struct buf in = BUF_INIT;
    char c;
    while (!has(&in, "\r\n\r\n") && recv(fd, &c, 1, 0) == 1)
        buf_append(&in, &c, 1);
    ASSERT(starts(&in, "HTTP/1.1 101 Switching Protocols\r\n"));
    ASSERT(has(&in, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    buf_reset(&in);
    ws_send(fd, 1, "hello");
    ws_send(fd, 1, "pathod!wf:b'reflected'");
    ws_send(fd, 8, "\x03\xe8");
    shutdown(fd, SHUT_WR);
    read_all(fd, &in, 1 << 16);
    close(fd);
    /* An unmasked text frame with the payload the nested spec asked for, then the close. */
    ASSERT(in.len >= 2 + 9);
    ASSERT_EQ(buf_ptr(&in)[0], 0x81);
    ASSERT_EQ(buf_ptr(&in)[1], 9);
    ASSERT_MEMEQ(buf_ptr(&in) + 2, 9, "reflected", 9);
    ASSERT_EQ(buf_ptr(&in)[11], 0x88);
    buf_clear(&in);
    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 4);
    ASSERT_EQ(n, 4);
    ASSERT_STREQ(l[3].type, "crafted");
    ASSERT_EQ(l[3].code, 101);
    ASSERT_STREQ(l[2].type, "inbound");
    ASSERT_MEMEQ(buf_ptr(&l[2].payload), l[2].payload.len, "hello", 5);
    ASSERT_EQ(l[0].opcode, 8);
    pathod_log_free(l, n);
    pathod_server_stop(s);
}

TEST(pathod_text_log)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct pathod_config cfg = {.logfp = f, .explain = 1, .logreq = 1};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /p/200:b'x' HTTP/1.1\r\n\r\n", &out);
    buf_clear(&out);
    pathod_server_stop(s);
    fclose(f);
    ASSERT(strstr(text, "crafting spec: 200:b'x'") != NULL);
    ASSERT(strstr(text, ">> Spec: 200:") != NULL);
    ASSERT(strstr(text, "Bytes read:\n\tGET /p/200:b'x' HTTP/1.1\n") != NULL);
    free(text);
}

TEST(pathod_idle_timeout)
{
    struct pathod_config cfg = {.timeout = 1};
    struct pathod_server *s = start(&cfg);
    int fd = connect_port(pathod_server_port(s));
    double t0 = now();
    /* Nothing is sent: pathod gives up after a second and closes. */
    ASSERT_EQ(read_all(fd, NULL, 0), 0);
    ASSERT(now() - t0 >= 0.9);
    close(fd);
    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 1);
    ASSERT_EQ(n, 1);
    ASSERT_STREQ(l[0].type, "timeout");
    pathod_log_free(l, n);
    pathod_server_stop(s);
}

TEST(pathod_request_too_large)
{
    struct pathod_config cfg = {.max_request = 10};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "POST /p/200 HTTP/1.1\r\nContent-Length: 11\r\n\r\n01234567890",
             &out);
    ASSERT(starts(&out, "HTTP/1.1 800 Request too large\r\n"));
    buf_clear(&out);
    pathod_server_stop(s);
}

/* Anchors are Python regexes: "$" allows nothing after the path, "\Z" is the
 * very end, and Python's (?P=name) and {,n} work. */
TEST(pathod_anchor_python_regex)
{
    struct pathod_anchor a[] = {{"/(?P<w>[a-c])(?P=w)$", "201"}, {"/y{,2}\\Z", "202"}};
    struct pathod_config cfg = {.anchors = a, .nanchors = 2};
    struct pathod_server *s = start(&cfg);
    struct buf out = BUF_INIT;
    exchange(pathod_server_port(s), "GET /aa HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 201 "));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /ab HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 "));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /aab HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 "));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /yy HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 202 "));
    buf_reset(&out);
    exchange(pathod_server_port(s), "GET /yyy HTTP/1.1\r\n\r\n", &out);
    ASSERT(starts(&out, "HTTP/1.1 800 "));
    buf_clear(&out);
    pathod_server_stop(s);
    /* What Python refuses is refused when the server starts. */
    struct pathod_anchor bad[] = {{"/(?<w>x)", "200"}};
    cfg = (struct pathod_config){.anchors = bad, .nanchors = 1};
    struct err e = {0};
    ASSERT(pathod_server_start(&cfg, &e) == NULL);
    ASSERT(strstr(e.msg, "unknown extension ?<w at offset 2") != NULL);
}
