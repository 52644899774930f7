/*
 * record.c: a record read in place gives the row what the struct flow
 * gives it, the record without bodies reads back to the same flow, and
 * anything it takes, ffile_deserialize() takes too.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

static void
assert_same_fields(const struct rec_fields *a, const struct rec_fields *b)
{
    ASSERT_EQ(a->type, b->type);
    ASSERT_MEMEQ(a->id.p, a->id.len, b->id.p, b->id.len);
    for (size_t i = 0; i < S__COUNT; i++)
        ASSERT_MEMEQ(a->str[i].p, a->str[i].len, b->str[i].p, b->str[i].len);
    for (size_t i = 0; i < 2; i++) {
        ASSERT_MEMEQ(buf_ptr(&a->hset[i]), a->hset[i].len, buf_ptr(&b->hset[i]), b->hset[i].len);
        ASSERT_MEMEQ(a->body[i].p, a->body[i].len, b->body[i].p, b->body[i].len);
    }
    ASSERT(a->created == b->created);
    ASSERT(memcmp(a->ts, b->ts, sizeof(a->ts)) == 0);
    ASSERT_EQ(a->size, b->size);
    ASSERT_EQ(a->port, b->port);
    ASSERT_EQ(a->status, b->status);
    /* A loaded flow is never live; the struct flow says so too. */
    ASSERT_EQ(a->flags & ~RF_LIVE, b->flags & ~RF_LIVE);
    ASSERT_STREQ(a->replay, b->replay);
}

/* The record's plain part is the flow's, byte for byte. */
static void
assert_same_plain(const struct rec_fields *a, const struct flow *f)
{
    struct buf want = BUF_INIT;
    store__plain_from_flow(f, &want);
    ASSERT_MEMEQ(buf_ptr(&a->plain), a->plain.len, buf_ptr(&want), want.len);
    buf_clear(&want);
}

/* The record without bodies, read back and given its bodies again, is the flow. */
static void
assert_round_trip(const struct flow *orig, const struct buf *rest, const struct rec_fields *f)
{
    struct flow *back;
    size_t used;
    struct err e = {0};
    ASSERT_EQ(ffile_deserialize(buf_ptr(rest), rest->len, &used, &back, &e), 0);
    ASSERT_EQ(used, rest->len);
    if (back->request)
        buf_set(&back->request->content, f->body[0].p, f->body[0].len);
    if (back->response)
        buf_set(&back->response->content, f->body[1].p, f->body[1].len);
    struct buf x = BUF_INIT, y = BUF_INIT;
    ffile_serialize(&x, orig);
    ffile_serialize(&y, back);
    ASSERT_MEMEQ(buf_ptr(&x), x.len, buf_ptr(&y), y.len);
    buf_clear(&x);
    buf_clear(&y);
    flow_unref(back);
}

TEST(store_record_scan_matches_the_flow_for_every_fixture)
{
    uint8_t *data;
    size_t *offs;
    size_t n = trecords("all.mitm", &data, &offs);
    struct flow **flows;
    ASSERT_EQ(tflows_load("all.mitm", &flows), n);
    size_t fast = 0, backups = 0;
    for (size_t i = 0; i < n; i++) {
        struct rec_fields a, b;
        struct buf rest = BUF_INIT;
        store__rec_fields_init(&a);
        store__rec_fields_init(&b);
        int rc = store__rec_scan(data + offs[i], offs[i + 1] - offs[i], NULL, &a, &rest, NULL);
        store__rec_from_flow(flows[i], &b);
        if (rc == 0) {
            fast++;
            assert_same_fields(&a, &b);
            assert_same_plain(&a, flows[i]);
            assert_round_trip(flows[i], &rest, &a);
        } else {
            /* A modified flow's backup is left to ffile_deserialize(). */
            ASSERT_EQ(rc, MP_ERR_UNSUPPORTED);
            ASSERT(flows[i]->backup != NULL);
            backups++;
        }
        /* Our own serialization takes the fast path always. */
        struct buf ours = BUF_INIT;
        ffile_serialize(&ours, flows[i]);
        store__rec_fields_clear(&a);
        store__rec_fields_init(&a);
        buf_reset(&rest);
        int rc2 = store__rec_scan(buf_ptr(&ours), ours.len, NULL, &a, &rest, NULL);
        if (!flows[i]->backup) {
            ASSERT_EQ(rc2, 0);
            assert_same_fields(&a, &b);
            assert_same_plain(&a, flows[i]);
            assert_round_trip(flows[i], &rest, &a);
        }
        buf_clear(&ours);
        buf_clear(&rest);
        store__rec_fields_clear(&a);
        store__rec_fields_clear(&b);
    }
    /* Every other record mitmproxy 8.1.1 wrote in the fixtures is read in place. */
    ASSERT_EQ(fast + backups, n);
    ASSERT(fast > n / 2);
    tflows_free(flows, n);
    free(data);
    free(offs);
}

TEST(store_record_scan_gives_the_new_id)
{
    struct flow **flows;
    size_t n = tflows_load("get-query.mitm", &flows);
    ASSERT_EQ(n, 1);
    struct buf rec = BUF_INIT, rest = BUF_INIT;
    ffile_serialize(&rec, flows[0]);
    struct rec_fields f;
    store__rec_fields_init(&f);
    const char *id = "01234567-89ab-4def-8123-456789abcdef";
    ASSERT_EQ(store__rec_scan(buf_ptr(&rec), rec.len, id, &f, &rest, NULL), 0);
    struct flow *back;
    size_t used;
    struct err e;
    ASSERT_EQ(ffile_deserialize(buf_ptr(&rest), rest.len, &used, &back, &e), 0);
    ASSERT_STREQ(back->id, id);
    ASSERT_STREQ(back->request->path, flows[0]->request->path);
    /* The body's place holds an empty byte string, not None. */
    ASSERT_EQ(back->request->content_none, 0);
    ASSERT_EQ(back->request->content.len, 0);
    flow_unref(back);
    store__rec_fields_clear(&f);
    buf_clear(&rec);
    buf_clear(&rest);
    tflows_free(flows, n);
}

TEST(store_record_scan_leaves_what_it_does_not_know)
{
    struct rec_fields f;
    struct buf rest = BUF_INIT;
    struct {
        const char *rec;
        int rc;
    } cases[] = {
        /* Not a tnetstring, or not all of one. */
        {"", MP_ERR_CORRUPT},
        {"3:abc", MP_ERR_CORRUPT},
        {"5:4:ab,}", MP_ERR_CORRUPT},
        {"2:ab?", MP_ERR_CORRUPT},
        {"3:1:a;]x", MP_ERR_CORRUPT},
        {"6:1:a;0:~}", MP_ERR_CORRUPT}, /* a dict key without a value is 5 bytes, not 6 */
        {"1:x!", MP_ERR_CORRUPT},
        {"2:12#", MP_ERR_UNSUPPORTED}, /* a tnetstring, not a dict */
        /* A dict, but not a version-17 flow: ffile_deserialize() decides. */
        {"0:}", MP_ERR_UNSUPPORTED},
        {"29:4:type;4:http;7:version;2:16#}", MP_ERR_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        store__rec_fields_init(&f);
        buf_reset(&rest);
        int rc = store__rec_scan((const uint8_t *)cases[i].rec, strlen(cases[i].rec), NULL, &f,
                                 &rest, NULL);
        if (rc != cases[i].rc)
            test_fail(__FILE__, __LINE__, "%s: %d, not %d", cases[i].rec, rc, cases[i].rc);
        store__rec_fields_clear(&f);
    }
    buf_clear(&rest);
}

/*
 * A flow id with a NUL in it: the flow's id is a C string cut there, so the
 * fast path leaves the record to ffile_deserialize(), and the id a row keeps
 * for -r (STORE_LOAD_KEEP_IDS) is always the flow's (found by the
 * store_record fuzz target).
 */
TEST(store_record_scan_leaves_an_id_with_a_nul)
{
    uint8_t *data;
    size_t *offs;
    size_t n = trecords("all.mitm", &data, &offs);
    ASSERT(n > 0);
    size_t len = offs[1] - offs[0];
    uint8_t *rec = xmemdup(data + offs[0], len);
    struct rec_fields f;
    struct buf rest = BUF_INIT;
    store__rec_fields_init(&f);
    ASSERT_EQ(store__rec_scan(rec, len, NULL, &f, &rest, NULL), 0);
    ASSERT(f.id.len > 1);
    size_t at = (size_t)(f.id.p - rec) + 1;
    store__rec_fields_clear(&f);
    rec[at] = '\0';
    store__rec_fields_init(&f);
    buf_reset(&rest);
    ASSERT_EQ(store__rec_scan(rec, len, NULL, &f, &rest, NULL), MP_ERR_UNSUPPORTED);
    store__rec_fields_clear(&f);
    buf_clear(&rest);
    free(rec);
    free(data);
    free(offs);
}

/*
 * Damaged records: whatever the fast path takes, ffile_deserialize() takes
 * too and reads as the same row. Every byte of a few records is changed.
 */
TEST(store_record_scan_takes_nothing_the_reader_refuses)
{
    uint8_t *data;
    size_t *offs;
    size_t n = trecords("all.mitm", &data, &offs);
    static const uint8_t subst[] = {'0', '9', ':', ',', ';', '#', '^', '!', '~', ']', '}', 'x'};
    size_t taken = 0;
    for (size_t i = 0; i < n; i += 27) {
        size_t len = offs[i + 1] - offs[i];
        uint8_t *rec = xmemdup(data + offs[i], len);
        /* The structure is at the front; bodies are bytes that change nothing. */
        for (size_t pos = 0; pos < len && pos < 1000; pos++) {
            uint8_t keep = rec[pos];
            for (size_t k = 0; k < sizeof(subst); k++) {
                if (subst[k] == keep)
                    continue;
                rec[pos] = subst[k];
                struct rec_fields f, g;
                struct buf rest = BUF_INIT;
                store__rec_fields_init(&f);
                if (store__rec_scan(rec, len, NULL, &f, &rest, NULL) == 0) {
                    struct flow *fl;
                    size_t used;
                    struct err e = {0};
                    int rc = ffile_deserialize(rec, len, &used, &fl, &e);
                    if (rc != 0)
                        test_fail(__FILE__, __LINE__, "record %zu byte %zu = '%c': %s", i, pos,
                                  subst[k], e.msg);
                    store__rec_fields_init(&g);
                    store__rec_from_flow(fl, &g);
                    assert_same_fields(&f, &g);
                    store__rec_fields_clear(&g);
                    flow_unref(fl);
                    taken++;
                }
                store__rec_fields_clear(&f);
                buf_clear(&rest);
            }
            rec[pos] = keep;
        }
        free(rec);
    }
    ASSERT(taken > 0);
    free(data);
    free(offs);
}

TEST(store_record_view_reads_headers_addresses_and_messages)
{
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    size_t ws = 0, tcp = 0;
    for (size_t i = 0; i < n; i++) {
        const struct flow *f = flows[i];
        struct buf rec = BUF_INIT;
        ffile_serialize(&rec, f);
        struct rec_view v = {0};
        ASSERT_EQ(store__rec_view(buf_ptr(&rec), rec.len, &v), 0);
        for (int side = 0; side < 2; side++) {
            const struct hdrs *h = side == 0 ? (f->request ? &f->request->headers : NULL)
                                             : (f->response ? &f->response->headers : NULL);
            if (h == NULL || f->type != FLOW_HTTP)
                continue;
            ASSERT_EQ(v.headers[side].n, h->n);
            for (size_t k = 0; k < h->n; k++) {
                ASSERT_MEMEQ(v.headers[side].v[k].name, v.headers[side].v[k].name_len + 1,
                             h->v[k].name, h->v[k].name_len + 1);
                ASSERT_MEMEQ(v.headers[side].v[k].value, v.headers[side].v[k].value_len + 1,
                             h->v[k].value, h->v[k].value_len + 1);
            }
        }
        if (f->client_conn && f->client_conn->address.host)
            ASSERT_STREQ(v.client.host, f->client_conn->address.host);
        if (f->server_conn && f->server_conn->address.host) {
            ASSERT_STREQ(v.server.host, f->server_conn->address.host);
            ASSERT_EQ(v.server.port, f->server_conn->address.port);
        }
        if (f->websocket) {
            ws++;
            ASSERT_EQ(v.nws, f->websocket->nmessages);
            for (size_t k = 0; k < v.nws; k++) {
                ASSERT_EQ(v.ws[k].from_client, f->websocket->messages[k].from_client);
                ASSERT_MEMEQ(buf_ptr(&v.ws[k].content), v.ws[k].content.len,
                             buf_ptr(&f->websocket->messages[k].content),
                             f->websocket->messages[k].content.len);
            }
        }
        if (f->type == FLOW_TCP) {
            tcp++;
            ASSERT_EQ(v.ntcp, f->nmessages);
            for (size_t k = 0; k < v.ntcp; k++) {
                ASSERT_EQ(!!v.tcp[k].from_client, !!f->messages[k].from_client);
                ASSERT_MEMEQ(buf_ptr(&v.tcp[k].content), v.tcp[k].content.len,
                             buf_ptr(&f->messages[k].content), f->messages[k].content.len);
            }
        }
        store__rec_view_clear(&v);
        buf_clear(&rec);
    }
    ASSERT(ws > 0 && tcp > 0);
    tflows_free(flows, n);
}

/*
 * An HTTP record's headers in their own frame: split and joined again it
 * is the record byte for byte, the scan splits as store__rec_split() does,
 * and the frame alone gives the filter every header.
 */
TEST(store_record_split_headers_and_join_them_back)
{
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    size_t split = 0;
    for (size_t i = 0; i < n; i++) {
        const struct flow *f = flows[i];
        struct buf rec = BUF_INIT, rest = BUF_INIT, hdrs = BUF_INIT, back = BUF_INIT;
        ffile_serialize(&rec, f);
        ASSERT_EQ(store__rec_split(buf_ptr(&rec), rec.len, &rest, &hdrs), 0);
        ASSERT_EQ(store__rec_join(buf_ptr(&rest), rest.len, buf_ptr(&hdrs), hdrs.len, &back), 0);
        ASSERT_MEMEQ(buf_ptr(&back), back.len, buf_ptr(&rec), rec.len);

        /* The scan: its rest without the headers, then joined, is its rest with them. */
        struct rec_fields a;
        struct buf whole = BUF_INIT, srest = BUF_INIT, shdrs = BUF_INIT;
        store__rec_fields_init(&a);
        if (store__rec_scan(buf_ptr(&rec), rec.len, NULL, &a, &whole, NULL) == 0) {
            store__rec_fields_clear(&a);
            store__rec_fields_init(&a);
            ASSERT_EQ(store__rec_scan(buf_ptr(&rec), rec.len, NULL, &a, &srest, &shdrs), 0);
            if (f->type == FLOW_HTTP) {
                split++;
                buf_reset(&back);
                ASSERT_EQ(
                    store__rec_join(buf_ptr(&srest), srest.len, buf_ptr(&shdrs), shdrs.len, &back),
                    0);
                ASSERT_MEMEQ(buf_ptr(&back), back.len, buf_ptr(&whole), whole.len);
            } else {
                ASSERT_EQ(shdrs.len, 0);
                ASSERT_MEMEQ(buf_ptr(&srest), srest.len, buf_ptr(&whole), whole.len);
            }
        }
        store__rec_fields_clear(&a);

        struct rec_view v = {0};
        ASSERT_EQ(store__rec_view_headers(buf_ptr(&hdrs), hdrs.len, &v), 0);
        for (int side = 0; side < 2 && f->type == FLOW_HTTP; side++) {
            const struct hdrs *h = side == 0 ? (f->request ? &f->request->headers : NULL)
                                             : (f->response ? &f->response->headers : NULL);
            ASSERT_EQ(v.headers[side].n, h ? h->n : 0);
            for (size_t k = 0; h && k < h->n; k++) {
                ASSERT_STREQ(v.headers[side].v[k].name, h->v[k].name);
                ASSERT_MEMEQ(v.headers[side].v[k].value, v.headers[side].v[k].value_len,
                             h->v[k].value, h->v[k].value_len);
            }
        }
        store__rec_view_clear(&v);
        buf_clear(&rec);
        buf_clear(&rest);
        buf_clear(&hdrs);
        buf_clear(&back);
        buf_clear(&whole);
        buf_clear(&srest);
        buf_clear(&shdrs);
    }
    ASSERT(split > 0);
    tflows_free(flows, n);
}

/*
 * Timestamps as Python's repr() writes them (17 digits, past the exact
 * double path) read back to the same double, bit for bit, as strtod()
 * reads them: random times, and random doubles of every size.
 */
TEST(store_record_scan_reads_every_timestamp_exactly)
{
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    struct flow *f = NULL;
    for (size_t i = 0; i < n && f == NULL; i++)
        if (flows[i]->type == FLOW_HTTP)
            f = flows[i];
    ASSERT(f != NULL);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < 20000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double t;
        if (k % 2 == 0) {
            t = 1e9 + (double)(x % 1000000000000000ull) / 1e6; /* 2001 to 2033, in microseconds */
        } else {
            uint64_t bits = (x & 0x000fffffffffffffull) | ((uint64_t)(900 + x % 300) << 52);
            memcpy(&t, &bits, sizeof(t));
        }
        f->timestamp_created = t;
        struct buf rec = BUF_INIT, rest = BUF_INIT;
        ffile_serialize(&rec, f);
        struct rec_fields a;
        store__rec_fields_init(&a);
        ASSERT_EQ(store__rec_scan(buf_ptr(&rec), rec.len, NULL, &a, &rest, NULL), 0);
        if (memcmp(&a.created, &t, sizeof(t)) != 0) {
            char tmp[32];
            tns_format_float(t, tmp);
            test_fail(__FILE__, __LINE__, "%s read as %.17g", tmp, a.created);
        }
        store__rec_fields_clear(&a);
        buf_clear(&rec);
        buf_clear(&rest);
    }
    tflows_free(flows, n);
}

/* The headers as ~h searches them on a flow: bytes(Headers). */
static void
headers_text(const struct hdrs *h, struct buf *out)
{
    for (size_t i = 0; i < h->n; i++)
        buf_printf(out, "%.*s: %.*s\r\n", (int)h->v[i].name_len, h->v[i].name,
                   (int)h->v[i].value_len, h->v[i].value);
}

static void
assert_text(struct slice got, const struct buf *want)
{
    ASSERT_MEMEQ(got.p, got.len, buf_ptr(want), want->len);
}

/*
 * A plain part read back gives what the filter would build from the flow:
 * every message's headers (HTTP), every DNS message's content, every TCP
 * and WebSocket message with its side, and says which it holds whole.
 */
TEST(store_plain_part_reads_back_the_flows_text)
{
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    size_t dns = 0, tcp = 0, ws = 0, http = 0;
    struct plain pl = {0};
    for (size_t i = 0; i < n; i++) {
        const struct flow *f = flows[i];
        struct buf b = BUF_INIT, want = BUF_INIT;
        store__plain_from_flow(f, &b);
        ASSERT_EQ(store__plain_read(buf_ptr(&b), b.len, &pl), 0);
        size_t k = 0;
        switch (f->type) {
        case FLOW_HTTP:
            http++;
            ASSERT(pl.flags & PLAIN_HEADERS);
            ASSERT(pl.text.have_headers);
            if (f->request) {
                buf_reset(&want);
                headers_text(&f->request->headers, &want);
                assert_text(pl.text.headers[0], &want);
            }
            if (f->response) {
                buf_reset(&want);
                headers_text(&f->response->headers, &want);
                assert_text(pl.text.headers[1], &want);
            }
            ASSERT_EQ(!!(pl.flags & PLAIN_MESSAGES), f->websocket != NULL);
            if (f->websocket) {
                ws++;
                ASSERT_EQ(pl.nmsgs, f->websocket->nmessages);
                for (k = 0; k < pl.nmsgs; k++) {
                    const struct ws_message *m = &f->websocket->messages[k];
                    assert_text(pl.msgs[k].text, &m->content);
                    ASSERT_EQ(pl.msgs[k].from_client, !!m->from_client);
                }
            }
            break;
        case FLOW_TCP:
            tcp++;
            ASSERT_EQ(pl.flags, PLAIN_MESSAGES);
            ASSERT_EQ(pl.nmsgs, f->nmessages);
            for (k = 0; k < pl.nmsgs; k++) {
                assert_text(pl.msgs[k].text, &f->messages[k].content);
                ASSERT_EQ(pl.msgs[k].from_client, !!f->messages[k].from_client);
            }
            break;
        case FLOW_DNS:
            dns++;
            ASSERT_EQ(pl.flags, PLAIN_MESSAGES);
            ASSERT_EQ(pl.nmsgs, (size_t)(f->dns_request != NULL) + (f->dns_response != NULL));
            if (f->dns_request) {
                buf_reset(&want);
                dns_message_content(&want, f->dns_request);
                assert_text(pl.msgs[k].text, &want);
                ASSERT_EQ(pl.msgs[k++].from_client, 1);
            }
            if (f->dns_response) {
                buf_reset(&want);
                dns_message_content(&want, f->dns_response);
                assert_text(pl.msgs[k].text, &want);
                ASSERT_EQ(pl.msgs[k].from_client, 0);
            }
            break;
        }
        /* Cut short anywhere, it is refused (or, cut after an entry, holds
         * less), never read past its end. */
        for (size_t cut = 1; cut < b.len; cut++) {
            uint8_t *p = xmemdup(buf_ptr(&b), cut);
            int rc = store__plain_read(p, cut, &pl);
            ASSERT(rc == 0 || rc == MP_ERR_CORRUPT);
            ASSERT(rc == 0 || pl.flags == 0);
            free(p);
        }
        buf_clear(&b);
        buf_clear(&want);
    }
    ASSERT(http > 0 && dns > 0 && tcp > 0 && ws > 0);
    /* An empty part holds nothing; an unknown tag is refused. */
    ASSERT_EQ(store__plain_read((const uint8_t *)"", 0, &pl), 0);
    ASSERT_EQ(pl.flags, 0);
    ASSERT_EQ(store__plain_read((const uint8_t *)"\x01x\0\0\0\0", 6, &pl), MP_ERR_CORRUPT);
    ASSERT_EQ(pl.flags, 0);
    store__plain_clear(&pl);
    tflows_free(flows, n);
}
