/*
 * SOCKS5 client handshake (RFC 1928 and RFC 1929), sans-io. See the header
 * for the flow of calls.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proxy/socks5_client.h"

#define VER 5
#define AUTH_VER 1
#define M_NONE 0x00
#define M_USERPASS 0x02
#define M_REFUSED 0xff
#define C_CONNECT 1
#define A_IPV4 1
#define A_DOMAIN 3
#define A_IPV6 4

void
socks5_client_init(struct socks5_client *c, const char *host, uint16_t port, const char *user,
                   const char *pass, const char *proxy)
{
    memset(c, 0, sizeof(*c));
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(c->host, sizeof(c->host), "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(c->host, sizeof(c->host), "%s", host);
    c->port = port;
    /* Overlong credentials are caught in start(). */
    if (user && pass && *user) {
        snprintf(c->user, sizeof(c->user), "%s", user);
        snprintf(c->pass, sizeof(c->pass), "%s", pass);
    }
    snprintf(c->proxy, sizeof(c->proxy), "%s", proxy ? proxy : "?");
}

const char *
socks5_reply_str(int rep)
{
    switch (rep) {
    case 0:
        return "succeeded";
    case 1:
        return "general SOCKS server failure";
    case 2:
        return "connection not allowed by ruleset";
    case 3:
        return "network unreachable";
    case 4:
        return "host unreachable";
    case 5:
        return "connection refused by destination host";
    case 6:
        return "TTL expired";
    case 7:
        return "command not supported";
    case 8:
        return "address type not supported";
    }
    return "unknown error";
}

static int
fail(struct socks5_client *c, struct err *e, const char *what)
{
    c->state = SOCKS5C_FAILED;
    return err_set(e, MP_ERR_PROTOCOL, "SOCKS5 proxy %s %s", c->proxy, what);
}

int
socks5_client_start(struct socks5_client *c, struct buf *out, struct err *e)
{
    size_t hl = strlen(c->host);
    if (c->state != SOCKS5C_INIT)
        return err_set(e, MP_ERR_INVAL, "SOCKS5 handshake already started");
    if (hl == 0 || hl > 255)
        return err_set(e, MP_ERR_INVAL, "SOCKS5: destination name must be 1 to 255 bytes");
    if (strlen(c->user) > 255 || strlen(c->pass) > 255)
        return err_set(e, MP_ERR_INVAL, "SOCKS5: username and password must be at most 255 bytes");
    if (c->user[0]) {
        static const uint8_t g[] = {VER, 2, M_NONE, M_USERPASS};
        buf_append(out, g, sizeof(g));
    } else {
        static const uint8_t g[] = {VER, 1, M_NONE};
        buf_append(out, g, sizeof(g));
    }
    c->state = SOCKS5C_METHOD;
    return 0;
}

static void
put_connect(struct socks5_client *c, struct buf *out)
{
    uint8_t a[16];
    uint8_t head[4] = {VER, C_CONNECT, 0, 0};
    if (inet_pton(AF_INET, c->host, a) == 1) {
        head[3] = A_IPV4;
        buf_append(out, head, 4);
        buf_append(out, a, 4);
    } else if (inet_pton(AF_INET6, c->host, a) == 1) {
        head[3] = A_IPV6;
        buf_append(out, head, 4);
        buf_append(out, a, 16);
    } else {
        uint8_t n = (uint8_t)strlen(c->host);
        head[3] = A_DOMAIN;
        buf_append(out, head, 4);
        buf_append(out, &n, 1);
        buf_append(out, c->host, n);
    }
    uint8_t p[2] = {(uint8_t)(c->port >> 8), (uint8_t)(c->port & 0xff)};
    buf_append(out, p, 2);
    c->state = SOCKS5C_REPLY;
}

static void
put_auth(struct socks5_client *c, struct buf *out)
{
    uint8_t ul = (uint8_t)strlen(c->user), pl = (uint8_t)strlen(c->pass);
    buf_append(out, (uint8_t[]){AUTH_VER, ul}, 2);
    buf_append(out, c->user, ul);
    buf_append(out, &pl, 1);
    buf_append(out, c->pass, pl);
    c->state = SOCKS5C_AUTH;
}

/* The method choice: VER METHOD. */
static int
on_method(struct socks5_client *c, struct buf *in, struct buf *out, struct err *e)
{
    const uint8_t *p = buf_ptr(in);
    if (in->len < 2)
        return 0;
    if (p[0] != VER)
        return fail(c, e, "answered with a bad version (is it a SOCKS5 proxy?)");
    uint8_t m = p[1];
    buf_consume(in, 2);
    if (m == M_NONE) {
        put_connect(c, out);
        return 0;
    }
    if (m == M_USERPASS && c->user[0]) {
        put_auth(c, out);
        return 0;
    }
    if (m == M_REFUSED)
        return fail(c, e,
                    c->user[0] ? "accepts none of our authentication methods"
                               : "requires authentication (give user:pass@ in the mode)");
    return fail(c, e, "chose an authentication method we did not offer");
}

/* RFC 1929's verdict: VER STATUS. */
static int
on_auth(struct socks5_client *c, struct buf *in, struct buf *out, struct err *e)
{
    const uint8_t *p = buf_ptr(in);
    if (in->len < 2)
        return 0;
    if (p[0] != AUTH_VER)
        return fail(c, e, "answered authentication with a bad version");
    uint8_t status = p[1];
    buf_consume(in, 2);
    if (status != 0)
        return fail(c, e, "rejected our username and password");
    put_connect(c, out);
    return 0;
}

/* The CONNECT reply: VER REP RSV ATYP BND.ADDR BND.PORT. */
static int
on_reply(struct socks5_client *c, struct buf *in, struct err *e)
{
    const uint8_t *p = buf_ptr(in);
    if (in->len < 2)
        return 0;
    if (p[0] != VER)
        return fail(c, e, "answered CONNECT with a bad version");
    if (p[1] != 0) {
        /* A failure reply ends the handshake whatever follows it. */
        char msg[160];
        snprintf(msg, sizeof(msg), "refused: %s (reply %d)", socks5_reply_str(p[1]), p[1]);
        return fail(c, e, msg);
    }
    if (in->len < 5)
        return 0;
    size_t need;
    switch (p[3]) {
    case A_IPV4:
        need = 4 + 4 + 2;
        break;
    case A_IPV6:
        need = 4 + 16 + 2;
        break;
    case A_DOMAIN:
        need = 4 + 1 + (size_t)p[4] + 2;
        break;
    default:
        return fail(c, e, "answered CONNECT with an unknown address type");
    }
    if (in->len < need)
        return 0;
    buf_consume(in, need);
    c->state = SOCKS5C_DONE;
    return 1;
}

int
socks5_client_feed(struct socks5_client *c, struct buf *in, struct buf *out, struct err *e)
{
    for (;;) {
        enum socks5_client_state before = c->state;
        int rc;
        switch (c->state) {
        case SOCKS5C_METHOD:
            rc = on_method(c, in, out, e);
            break;
        case SOCKS5C_AUTH:
            rc = on_auth(c, in, out, e);
            break;
        case SOCKS5C_REPLY:
            rc = on_reply(c, in, e);
            break;
        case SOCKS5C_DONE:
            return 1;
        case SOCKS5C_INIT:
            return err_set(e, MP_ERR_INVAL, "SOCKS5 handshake not started");
        case SOCKS5C_FAILED:
        default:
            return err_set(e, MP_ERR_PROTOCOL, "SOCKS5 handshake with %s failed", c->proxy);
        }
        if (rc != 0)
            return rc;
        /* Stop when a step waits for bytes; go on when it moved ahead. */
        if (c->state == before)
            return 0;
        if (c->state != SOCKS5C_DONE && in->len == 0)
            return 0;
    }
}
