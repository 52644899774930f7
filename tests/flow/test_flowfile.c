/*
 * Flow files: every fixture recorded by mitmproxy 8.1.1 must load with the
 * fields its JSON manifest lists, and must be written back byte for byte.
 * The manifest is turned into "f<i> <field> <value>" lines by
 * tests/flow/gen_manifest_expect.py (parsing JSON in C is not worth it), and
 * each of those lines must appear in the dump we make of the loaded flows.
 */
#include <dirent.h>
#include <openssl/sha.h>
#include <unistd.h>

#include "../lib/test.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "util/xmalloc.h"

static uint8_t *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    struct buf b = BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    uint8_t *p = xmemdup(buf_ptr(&b) ? buf_ptr(&b) : (const uint8_t *)"", b.len + 1);
    buf_clear(&b);
    return p;
}

/* Every fixture flow file, NULL-terminated; free with free_list(). */
static char **
fixtures(void)
{
    const char *dir = test_fixture("flows");
    DIR *d = opendir(dir);
    if (d == NULL)
        test_fail(__FILE__, __LINE__, "no fixture directory %s", dir);
    char **v = xcalloc(128, sizeof(*v));
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 127) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".mitm") == 0) {
            struct buf p = BUF_INIT;
            buf_printf(&p, "%s/%s", dir, de->d_name);
            v[n++] = buf_strdup(&p);
            buf_clear(&p);
        }
    }
    closedir(d);
    ASSERT(n >= 30);
    return v;
}

static void
free_list(char **v)
{
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

/* Reads every flow of p[0..len); returns how many, stores the last error. */
static size_t
read_all(const uint8_t *p, size_t len, struct flow ***out, int *rc, struct err *e)
{
    FILE *f = fmemopen((void *)p, len ? len : 1, "rb");
    if (len == 0) {
        fclose(f);
        f = fopen("/dev/null", "rb");
    }
    struct ffile_reader *r = ffile_reader_new(f, "test.mitm");
    size_t n = 0, cap = 8;
    struct flow **v = xmalloc(cap * sizeof(*v));
    struct flow *fl;
    while ((*rc = ffile_read(r, &fl, e)) == 1) {
        if (n == cap)
            v = xrealloc(v, (cap *= 2) * sizeof(*v));
        v[n++] = fl;
    }
    /* The error is sticky. */
    if (*rc < 0) {
        struct err e2;
        ASSERT_EQ(ffile_read(r, &fl, &e2), *rc);
        ASSERT_STREQ(e2.msg, e->msg);
    }
    ffile_reader_free(r);
    fclose(f);
    *out = v;
    return n;
}

static void
free_flows(struct flow **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        flow_unref(v[i]);
    free(v);
}

/* Dump side: the same escaping as gen_manifest_expect.py. */

static void
esc(struct buf *b, const char *s, size_t n)
{
    if (s == NULL) {
        buf_append_str(b, "None");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x21 && c <= 0x7e && c != '\\')
            buf_append(b, &c, 1);
        else
            buf_printf(b, "\\x%02x", c);
    }
}

static void
line_s(struct buf *b, size_t i, const char *key, const char *s)
{
    buf_printf(b, "f%zu %s ", i, key);
    esc(b, s, s ? strlen(s) : 0);
    buf_append_str(b, "\n");
}

static void
line_addr(struct buf *b, size_t i, const char *key, const struct addr *a)
{
    buf_printf(b, "f%zu %s ", i, key);
    if (a->host == NULL) {
        buf_append_str(b, "None\n");
        return;
    }
    esc(b, a->host, strlen(a->host));
    buf_printf(b, ":%u\n", a->port);
}

static void
line_content(struct buf *b, size_t i, const char *side, const struct buf *c, int none)
{
    buf_printf(b, "f%zu %s.content ", i, side);
    if (none) {
        buf_append_str(b, "None\n");
        return;
    }
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(c->len ? buf_ptr(c) : (const unsigned char *)"", c->len, md);
    buf_printf(b, "%zu ", c->len);
    for (int k = 0; k < SHA256_DIGEST_LENGTH; k++)
        buf_printf(b, "%02x", md[k]);
    buf_append_str(b, "\n");
}

static void
line_headers(struct buf *b, size_t i, const char *side, const struct hdrs *h,
             const struct hdrs *trailers)
{
    buf_printf(b, "f%zu %s.headers %zu\n", i, side, h->n);
    for (size_t k = 0; k < h->n; k++) {
        buf_printf(b, "f%zu %s.h%zu ", i, side, k);
        esc(b, h->v[k].name, h->v[k].name_len);
        buf_append_str(b, ": ");
        esc(b, h->v[k].value, h->v[k].value_len);
        buf_append_str(b, "\n");
    }
    if (trailers)
        buf_printf(b, "f%zu %s.trailers %zu\n", i, side, trailers->n);
    else
        buf_printf(b, "f%zu %s.trailers None\n", i, side);
}

static void
line_ts(struct buf *b, size_t i, const char *path, double v)
{
    buf_printf(b, "f%zu ts %s %d\n", i, path, v != 0);
}

static void
dump_conn(struct buf *b, size_t i, const char *p, const struct connection *c)
{
    char key[64];
    snprintf(key, sizeof(key), "%s.tls_established", p);
    buf_printf(b, "f%zu %s %d\n", i, key, c->tls_established);
    snprintf(key, sizeof(key), "%s.sni", p);
    line_s(b, i, key, c->sni);
    snprintf(key, sizeof(key), "%s.alpn", p);
    line_s(b, i, key, c->alpn);
    snprintf(key, sizeof(key), "%s.tls_version", p);
    line_s(b, i, key, c->tls_version);
    const char *name = c->side == CONN_CLIENT ? "client_conn" : "server_conn";
    snprintf(key, sizeof(key), "%s.timestamp_start", name);
    line_ts(b, i, key, c->timestamp_start);
    snprintf(key, sizeof(key), "%s.timestamp_end", name);
    line_ts(b, i, key, c->timestamp_end);
    snprintf(key, sizeof(key), "%s.timestamp_tls_setup", name);
    line_ts(b, i, key, c->timestamp_tls_setup);
    if (c->side == CONN_SERVER)
        line_ts(b, i, "server_conn.timestamp_tcp_setup", c->timestamp_tcp_setup);
}

static void
dump_rrs(struct buf *b, const char *q, const char *sec, const struct dns_rrs *l)
{
    buf_printf(b, "%s.%s %zu\n", q, sec, l->n);
    for (size_t k = 0; k < l->n; k++) {
        const struct dns_rr *rr = &l->v[k];
        buf_printf(b, "%s.%s%zu ", q, sec, k);
        esc(b, rr->name, strlen(rr->name));
        buf_printf(b, " %u %u %u ", rr->type, rr->class_, rr->ttl);
        for (size_t j = 0; j < rr->data.len; j++)
            buf_printf(b, "%02x", buf_ptr(&rr->data)[j]);
        buf_append_str(b, "\n");
    }
}

/* A DNS message as gen_manifest_expect.py's dns() writes it. */
static void
dump_dns(struct buf *b, size_t i, const char *side, const struct dns_message *m)
{
    char q[64];
    snprintf(q, sizeof(q), "f%zu dns.%s", i, side);
    if (m == NULL) {
        buf_printf(b, "%s None\n", q);
        return;
    }
    buf_printf(b, "%s.id %u\n%s.query %d\n%s.op_code %u\n", q, m->id, q, m->query, q, m->op_code);
    buf_printf(b, "%s.authoritative_answer %d\n%s.truncation %d\n", q, m->authoritative_answer, q,
               m->truncation);
    buf_printf(b, "%s.recursion_desired %d\n%s.recursion_available %d\n", q, m->recursion_desired,
               q, m->recursion_available);
    buf_printf(b, "%s.reserved %u\n%s.response_code %u\n", q, m->reserved, q, m->response_code);
    buf_printf(b, "%s.questions %zu\n", q, m->nquestions);
    for (size_t k = 0; k < m->nquestions; k++) {
        buf_printf(b, "%s.questions%zu ", q, k);
        esc(b, m->questions[k].name, strlen(m->questions[k].name));
        buf_printf(b, " %u %u\n", m->questions[k].type, m->questions[k].class_);
    }
    dump_rrs(b, q, "answers", &m->answers);
    dump_rrs(b, q, "authorities", &m->authorities);
    dump_rrs(b, q, "additionals", &m->additionals);
    struct buf w = BUF_INIT;
    ASSERT_EQ(dns_write(&w, m, 0, NULL), 0);
    buf_printf(b, "%s.packed ", q);
    for (size_t j = 0; j < w.len; j++)
        buf_printf(b, "%02x", buf_ptr(&w)[j]);
    buf_reset(&w);
    dns_message_content(&w, m);
    buf_printf(b, "\n%s.content ", q);
    esc(b, (const char *)buf_ptr(&w), w.len);
    buf_append_str(b, "\n");
    buf_clear(&w);
    char ts[64];
    snprintf(ts, sizeof(ts), "%s.timestamp", side);
    line_ts(b, i, ts, m->timestamp);
}

static void
dump(struct buf *b, size_t i, const struct flow *f)
{
    line_s(b, i, "id", f->id);
    line_s(b, i, "type", flow_type_name(f->type));
    line_s(b, i, "error", f->error ? f->error->msg : NULL);
    if (f->error)
        buf_printf(b, "f%zu error.ts %d\n", i, f->error->timestamp != 0);
    buf_printf(b, "f%zu intercepted %d\n", i, f->intercepted);
    line_s(b, i, "is_replay", f->is_replay);
    line_s(b, i, "marked", f->marked);
    line_s(b, i, "comment", f->comment);
    line_addr(b, i, "cc.peername", &f->client_conn->peername);
    line_addr(b, i, "cc.sockname", &f->client_conn->sockname);
    line_addr(b, i, "sc.address", &f->server_conn->address);
    line_addr(b, i, "sc.peername", &f->server_conn->peername);
    line_addr(b, i, "sc.sockname", &f->server_conn->sockname);
    dump_conn(b, i, "cc", f->client_conn);
    dump_conn(b, i, "sc", f->server_conn);
    line_s(b, i, "cc.cipher", f->client_conn->cipher);
    line_ts(b, i, "timestamp_created", f->timestamp_created);
    if (f->type == FLOW_DNS) {
        dump_dns(b, i, "request", f->dns_request);
        dump_dns(b, i, "response", f->dns_response);
    }
    if (f->type != FLOW_HTTP)
        return;
    const struct http_request *rq = f->request;
    const struct http_response *rs = f->response;
    line_s(b, i, "method", rq->method);
    line_s(b, i, "scheme", rq->scheme);
    line_s(b, i, "authority", rq->authority);
    line_s(b, i, "path", rq->path);
    line_s(b, i, "http_version", rq->http_version);
    line_s(b, i, "host", rq->host);
    buf_printf(b, "f%zu port %u\n", i, rq->port);
    line_ts(b, i, "request.timestamp_start", rq->timestamp_start);
    line_ts(b, i, "request.timestamp_end", rq->timestamp_end);
    line_headers(b, i, "request", &rq->headers, rq->trailers);
    line_content(b, i, "request", &rq->content, rq->content_none);
    if (rs) {
        buf_printf(b, "f%zu status_code %d\n", i, rs->status_code);
        line_s(b, i, "reason", rs->reason);
        line_s(b, i, "response_http_version", rs->http_version);
        line_ts(b, i, "response.timestamp_start", rs->timestamp_start);
        line_ts(b, i, "response.timestamp_end", rs->timestamp_end);
        line_headers(b, i, "response", &rs->headers, rs->trailers);
        line_content(b, i, "response", &rs->content, rs->content_none);
    } else {
        buf_printf(b, "f%zu status_code None\n", i);
        line_s(b, i, "reason", NULL);
        line_s(b, i, "response_http_version", NULL);
        buf_printf(b, "f%zu response.content None\n", i);
        buf_printf(b, "f%zu response.trailers None\n", i);
    }
    buf_printf(b, "f%zu websocket %d\n", i, f->websocket != NULL);
}

TEST(ffile_fixtures_match_manifests)
{
    char **files = fixtures();
    for (size_t k = 0; files[k]; k++) {
        size_t len;
        uint8_t *data = slurp(files[k], &len);
        struct flow **flows;
        int rc;
        struct err e = {0, ""};
        size_t n = read_all(data, len, &flows, &rc, &e);
        if (rc != 0)
            test_fail(__FILE__, __LINE__, "%s: %s", files[k], e.msg);
        struct buf ours = BUF_INIT;
        buf_printf(&ours, "\ncount %zu\n", n);
        for (size_t i = 0; i < n; i++) {
            ASSERT_EQ(flows[i]->loaded_version, 17);
            dump(&ours, i, flows[i]);
        }
        char *ours_s = buf_strdup(&ours);

        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/flow/gen_manifest_expect.py '%s.json'",
                 files[k]);
        FILE *py = popen(cmd, "r");
        ASSERT(py != NULL);
        char line[8192];
        size_t checked = 0;
        while (fgets(line, sizeof(line), py)) {
            char want[8300];
            snprintf(want, sizeof(want), "\n%s", line);
            if (strstr(ours_s, want) == NULL)
                test_fail(__FILE__, __LINE__, "%s: manifest line not matched:\n  %s", files[k],
                          line);
            checked++;
        }
        if (pclose(py) != 0)
            test_fail(__FILE__, __LINE__, "%s failed (is /usr/bin/python3 installed?)", cmd);
        /* Ten lines per flow at the very least, or the comparison did not run. */
        ASSERT(checked > 10 * n);
        free(ours_s);
        buf_clear(&ours);
        free_flows(flows, n);
        free(data);
    }
    free_list(files);
}

TEST(ffile_fixtures_roundtrip_byte_identical)
{
    char **files = fixtures();
    for (size_t k = 0; files[k]; k++) {
        size_t len;
        uint8_t *data = slurp(files[k], &len);
        struct flow **flows;
        int rc;
        struct err e = {0, ""};
        size_t n = read_all(data, len, &flows, &rc, &e);
        ASSERT_EQ(rc, 0);
        struct buf out = BUF_INIT;
        for (size_t i = 0; i < n; i++)
            ffile_serialize(&out, flows[i]);
        if (out.len != len || memcmp(buf_ptr(&out), data, len) != 0) {
            size_t d = 0;
            while (d < len && d < out.len && buf_ptr(&out)[d] == data[d])
                d++;
            size_t from = d > 60 ? d - 60 : 0;
            test_fail(__FILE__, __LINE__,
                      "%s: differs at byte %zu:\n  ours  %.120s\n  file  %.120s", files[k], d,
                      (const char *)buf_ptr(&out) + from, (const char *)data + from);
        }
        buf_clear(&out);
        free_flows(flows, n);
        free(data);
    }
    free_list(files);
}

/* Record boundaries of a file, via the reader's offsets. */
static size_t
boundaries(const uint8_t *data, size_t len, uint64_t *ends, size_t max)
{
    FILE *f = fmemopen((void *)data, len, "rb");
    struct ffile_reader *r = ffile_reader_new(f, "x");
    struct flow *fl;
    size_t n = 0;
    while (n < max && ffile_read(r, &fl, NULL) == 1) {
        flow_unref(fl);
        ends[n++] = ffile_reader_offset(r);
    }
    ffile_reader_free(r);
    fclose(f);
    return n;
}

TEST(ffile_truncated_delivers_earlier_flows)
{
    size_t len;
    uint8_t *data = slurp(test_fixture("flows/all.mitm"), &len);
    uint64_t ends[64];
    size_t nrec = boundaries(data, len, ends, 64);
    ASSERT_EQ(nrec, 55);
    ASSERT_EQ(ends[nrec - 1], len);
    size_t cuts[] = {
        1, 3, 5, 6, 100, ends[0] - 1, ends[0] + 1, ends[0] + 4, ends[10] + 7, len / 2, len - 1};
    for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        size_t cut = cuts[c];
        size_t whole = 0;
        while (whole < nrec && ends[whole] <= cut)
            whole++;
        uint64_t start = whole ? ends[whole - 1] : 0;
        struct flow **flows;
        int rc;
        struct err e = {0, ""};
        uint8_t *copy = xmemdup(data, cut);
        size_t n = read_all(copy, cut, &flows, &rc, &e);
        ASSERT_EQ(n, whole);
        ASSERT_EQ(rc, MP_ERR_CORRUPT);
        char want[64];
        snprintf(want, sizeof(want), "test.mitm: corrupt flow record at byte %" PRIu64 ": ", start);
        if (strncmp(e.msg, want, strlen(want)) != 0)
            test_fail(__FILE__, __LINE__, "cut %zu: '%s' does not start '%s'", cut, e.msg, want);
        free_flows(flows, n);
        free(copy);
    }
    free(data);
}

TEST(ffile_flipped_bytes_never_crash)
{
    size_t len;
    uint8_t *data = slurp(test_fixture("flows/methods.mitm"), &len);
    uint64_t ends[16];
    size_t nrec = boundaries(data, len, ends, 16);
    ASSERT_EQ(nrec, 5);
    size_t errors = 0;
    for (size_t pos = 0; pos < len; pos += 7) {
        static const uint8_t subst[] = {0xff, '0', ':', '}', ']', 0x00};
        uint8_t *copy = xmemdup(data, len);
        copy[pos] = subst[pos % sizeof(subst)] == copy[pos] ? 'x' : subst[pos % sizeof(subst)];
        struct flow **flows;
        int rc;
        struct err e = {0, ""};
        size_t n = read_all(copy, len, &flows, &rc, &e);
        /* The records before the damaged one always load. */
        size_t before = 0;
        while (before < nrec && ends[before] <= pos)
            before++;
        ASSERT(n >= before);
        if (rc < 0) {
            errors++;
            ASSERT(strstr(e.msg, "flow record at byte ") != NULL);
        }
        /* Whatever loaded can be written again. */
        struct buf out = BUF_INIT;
        for (size_t i = 0; i < n; i++)
            ffile_serialize(&out, flows[i]);
        buf_clear(&out);
        free_flows(flows, n);
        free(copy);
    }
    ASSERT(errors > 0);
    free(data);
}

TEST(ffile_empty_and_garbage)
{
    struct flow **flows;
    int rc;
    struct err e = {0, ""};
    size_t n = read_all((const uint8_t *)"", 0, &flows, &rc, &e);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(rc, 0);
    free(flows);
    n = read_all((const uint8_t *)"hello", 5, &flows, &rc, &e);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "test.mitm: corrupt flow record at byte 0: not a tnetstring (bad length "
                        "prefix)");
    free(flows);
    /* A valid tnetstring that is not a flow. */
    n = read_all((const uint8_t *)"5:hello,", 8, &flows, &rc, &e);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT(strstr(e.msg, "not a dict"));
    free(flows);
    /* A huge declared length must not be allocated up front. */
    n = read_all((const uint8_t *)"999999999999:abc", 16, &flows, &rc, &e);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "test.mitm: corrupt flow record at byte 0: file ends inside the record: "
                        "3 of its 999999999999 payload bytes present, 999999999997 bytes missing "
                        "(file cut short?)");
    free(flows);
    /* One byte short: what is missing is the type byte, not payload. */
    n = read_all((const uint8_t *)"5:hello", 7, &flows, &rc, &e);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "test.mitm: corrupt flow record at byte 0: file ends inside the record: "
                        "its 5 payload bytes are present, the type byte after them is missing "
                        "(file cut short?)");
    free(flows);
}

/* The first record of a fixture as a tree, and its bytes. */
static struct tns *
first_record(const char *fixture, struct buf *bytes)
{
    size_t len, used;
    uint8_t *data = slurp(test_fixture(fixture), &len);
    struct tns *t;
    ASSERT_EQ(tns_decode(data, len, &used, &t, NULL), 0);
    buf_set(bytes, data, used);
    free(data);
    return t;
}

static struct flow *
load_tree(const struct tns *t, struct err *e, int *rc)
{
    struct buf b = BUF_INIT;
    tns_encode(&b, t);
    size_t used;
    struct flow *f = NULL;
    *rc = ffile_deserialize(buf_ptr(&b), b.len, &used, &f, e);
    if (*rc == 0)
        ASSERT_EQ(used, b.len);
    buf_clear(&b);
    return f;
}

static void
rename_key(struct tns *d, const char *from, const char *to)
{
    ASSERT(tns_dict_rename(d, from, to));
}

/* What mitmproxy's convert_17_18 .. convert_20_21 do to a record. */
static void
upgrade_to_21(struct tns *d)
{
    struct tns *cc = tns_dict_get(d, "client_conn"), *sc = tns_dict_get(d, "server_conn");
    tns_dict_set(cc, "proxy_mode", tns_text("regular"));
    rename_key(cc, "address", "peername");
    tns_free(tns_dict_take(cc, "tls_extensions"));
    rename_key(sc, "ip_address", "peername");
    rename_key(sc, "source_address", "sockname");
    tns_free(tns_dict_take(sc, "via"));
    rename_key(sc, "via2", "via");
    struct tns *conns[2] = {cc, sc};
    for (int i = 0; i < 2; i++) {
        tns_free(tns_dict_take(conns[i], "tls_established"));
        rename_key(conns[i], "cipher_name", "cipher");
        tns_dict_set(conns[i], "transport_protocol", tns_text("tcp"));
        tns_free(tns_dict_take(conns[i], "state"));
    }
    tns_dict_set(d, "version", tns_int(21));
}

TEST(ffile_reads_versions_18_to_21)
{
    const char *fixtures_[] = {"flows/get-query.mitm", "flows/http2.mitm"};
    for (int k = 0; k < 2; k++) {
        struct buf orig = BUF_INIT, out = BUF_INIT;
        struct tns *t = first_record(fixtures_[k], &orig);
        upgrade_to_21(t);
        struct err e = {0, ""};
        int rc;
        struct flow *f = load_tree(t, &e, &rc);
        if (rc != 0)
            test_fail(__FILE__, __LINE__, "%s", e.msg);
        ASSERT_EQ(f->loaded_version, 21);
        /* Folded back to 17, it is the record mitmproxy 8.1.1 wrote. */
        ffile_serialize(&out, f);
        ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&orig), orig.len);
        flow_unref(f);
        tns_free(t);
        buf_clear(&orig);
        buf_clear(&out);
    }
}

TEST(ffile_reads_old_versions)
{
    struct buf orig = BUF_INIT, out = BUF_INIT;
    struct tns *t = first_record("flows/annotated.mitm", &orig);
    /* As version 12 wrote it: marked a bool, no comment, no
     * timestamp_created, a mode. */
    tns_dict_set(t, "version", tns_int(12));
    tns_dict_set(t, "marked", tns_bool(1));
    tns_free(tns_dict_take(t, "comment"));
    tns_free(tns_dict_take(t, "timestamp_created"));
    tns_dict_set(t, "mode", tns_text("regular"));
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    ASSERT_STREQ(f->marked, ":default:");
    ASSERT_STREQ(f->comment, "");
    ASSERT(f->timestamp_created == f->request->timestamp_start);
    ASSERT(tns_dict_get(f->extra, "mode") == NULL);
    ASSERT_EQ(f->loaded_version, 12);
    flow_unref(f);

    /* Version 16 differs from 17 only by the mode field. */
    tns_free(t);
    t = first_record("flows/annotated.mitm", &orig);
    tns_dict_set(t, "version", tns_int(16));
    tns_dict_set(t, "mode", tns_text("regular"));
    f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ffile_serialize(&out, f);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&orig), orig.len);
    flow_unref(f);

    const int bad[] = {5, 9, 22};
    for (int k = 0; k < 3; k++) {
        tns_dict_set(t, "version", tns_int(bad[k]));
        f = load_tree(t, &e, &rc);
        ASSERT(f == NULL);
        ASSERT_EQ(rc, MP_ERR_UNSUPPORTED);
        char want[64];
        snprintf(want, sizeof(want), "unsupported flow file version %d", bad[k]);
        ASSERT_STREQ(e.msg, want);
    }
    tns_free(t);
    buf_clear(&orig);
    buf_clear(&out);
}

TEST(ffile_serialize_new_flow)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    addr_set(&cc->peername, "127.0.0.1", 5000);
    addr_set(&cc->address, "127.0.0.1", 5000);
    cc->timestamp_start = 1.5;
    struct flow *f = flow_new_http(cc, sc);
    f->request = http_request_new();
    http_set_str(&f->request->method, "GET");
    http_set_str(&f->request->host, "example.com");
    f->request->port = 80;
    hdrs_add_cstr(&f->request->headers, "Host", "example.com");
    f->request->timestamp_start = 2.25;
    flow_set_error(f, "boom");
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    /* It reads back to the same flow and writes the same bytes. */
    size_t used;
    struct flow *g;
    struct err e = {0, ""};
    ASSERT_EQ(ffile_deserialize(buf_ptr(&out), out.len, &used, &g, &e), 0);
    ASSERT_EQ(used, out.len);
    ASSERT_STREQ(g->id, f->id);
    ASSERT_STREQ(g->request->host, "example.com");
    ASSERT_STREQ(g->error->msg, "boom");
    ASSERT_STREQ(g->client_conn->peername.host, "127.0.0.1");
    ASSERT(g->response == NULL);
    struct buf again = BUF_INIT;
    ffile_serialize(&again, g);
    ASSERT_MEMEQ(buf_ptr(&again), again.len, buf_ptr(&out), out.len);
    /* Optional timestamps left at 0 are written as null. */
    ASSERT(strstr((const char *)buf_ptr(&out), "13:timestamp_end;0:~") != NULL);
    buf_clear(&again);
    buf_clear(&out);
    flow_unref(g);
    flow_unref(f);
    connection_unref(cc);
    connection_unref(sc);
}

/* TCP messages are modeled, not kept as loaded in extra. */
TEST(ffile_tcp_messages_loaded)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/tcp.mitm", &orig);
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(f->type, FLOW_TCP);
    ASSERT(tns_dict_get(f->extra, "messages") == NULL);
    ASSERT_EQ(f->nmessages, 6);
    ASSERT_EQ(f->messages[0].from_client, 1);
    ASSERT_BUF_STR(&f->messages[0].content, "ping 1\n");
    ASSERT(f->messages[0].timestamp == 1795465268.9644816);
    ASSERT_EQ(f->messages[3].from_client, 0);
    ASSERT_MEMEQ(buf_ptr(&f->messages[3].content), f->messages[3].content.len,
                 "echo:\x00\x01"
                 "binary\xff\n",
                 15);
    ASSERT_BUF_STR(&f->messages[5].content, "echo:last line\n");
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&orig), orig.len);
    buf_clear(&out);
    buf_clear(&orig);
    flow_unref(f);
    tns_free(t);
}

TEST(ffile_tcp_bad_messages_rejected)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/tcp.mitm", &orig);
    struct tns *msgs = tns_dict_get(t, "messages");
    struct tns *m = msgs->u.list.v[2];
    tns_free(m->u.list.v[2]);
    m->u.list.v[2] = tns_text("soon");
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT(f == NULL);
    ASSERT(strstr(e.msg, "messages[2]"));
    tns_free(tns_dict_take(t, "messages"));
    f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT(strstr(e.msg, "missing field 'messages'"));
    buf_clear(&orig);
    tns_free(t);
}

/* A TCP flow built the way the proxy builds one is a record mitmproxy 8.1.1
 * loads with the same messages; a dropped message is not stored. */
TEST(ffile_tcp_live_flow_loads_in_mitmproxy)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    addr_set(&cc->peername, "127.0.0.1", 40000);
    addr_set(&cc->address, "127.0.0.1", 40000);
    addr_set(&sc->address, "127.0.0.1", 18083);
    cc->timestamp_start = 1700000000.125;
    struct flow *f = flow_new_tcp(cc, sc);
    flow_tcp_add_message(f, 1, "hello\n", 6);
    flow_tcp_add_message(f, 0, "\x00\xff\r\n", 4);
    flow_tcp_add_message(f, 1, "dropped", 7)->dropped = 1;
    flow_tcp_add_message(f, 1, "", 0);
    f->live = 0;
    char path[] = "/tmp/mp-tcp-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_EQ(write(fd, buf_ptr(&out), out.len), (ssize_t)out.len);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c \"\n"
             "from mitmproxy import io, tcp\n"
             "fl = list(io.FlowReader(open('%s', 'rb')).stream())\n"
             "assert len(fl) == 1 and isinstance(fl[0], tcp.TCPFlow), fl\n"
             "m = [(x.from_client, x.content) for x in fl[0].messages]\n"
             "assert m == [(True, b'hello\\\\n'), (False, b'\\\\x00\\\\xff\\\\r\\\\n'),"
             " (True, b'')], m\n"
             "assert fl[0].id == '%s'\n"
             "assert fl[0].client_conn.peername == ('127.0.0.1', 40000)\n"
             "assert fl[0].messages[0].timestamp > 0\n"
             "\"",
             path, f->id);
    int st = system(cmd);
    unlink(path);
    ASSERT_EQ(st, 0);
    /* And we read back what we wrote, byte for byte. */
    struct flow **flows;
    int rc;
    struct err e = {0, ""};
    size_t n = read_all(buf_ptr(&out), out.len, &flows, &rc, &e);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(flows[0]->nmessages, 3);
    struct buf again = BUF_INIT;
    ffile_serialize(&again, flows[0]);
    ASSERT_MEMEQ(buf_ptr(&again), again.len, buf_ptr(&out), out.len);
    buf_clear(&again);
    buf_clear(&out);
    free_flows(flows, n);
    flow_unref(f);
    connection_unref(cc);
    connection_unref(sc);
}

/* WebSocket messages and the close are modeled (struct websocket_data). */
TEST(ffile_websocket_loaded)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/websocket.mitm", &orig);
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(tns_dict_get(f->extra, "websocket") == NULL);
    const struct websocket_data *ws = f->websocket;
    ASSERT(ws != NULL);
    ASSERT_EQ(ws->nmessages, 11);
    ASSERT_EQ(ws->messages[0].type, 1);
    ASSERT_EQ(ws->messages[0].from_client, 0);
    ASSERT_BUF_STR(&ws->messages[0].content, "welcome");
    ASSERT(ws->messages[0].timestamp == 1795465266.6209323);
    ASSERT_EQ(ws->messages[3].type, 2);
    ASSERT_EQ(ws->messages[3].from_client, 1);
    ASSERT_MEMEQ(buf_ptr(&ws->messages[3].content), ws->messages[3].content.len,
                 "\x00\x01\x02\xfe\xff", 5);
    ASSERT_EQ(ws->messages[3].dropped, 0);
    ASSERT_EQ(ws->messages[3].injected, 0);
    ASSERT_EQ(ws->closed_by_client, 1);
    ASSERT_EQ(ws->close_code, 1000);
    ASSERT_STREQ(ws->close_reason, "done");
    ASSERT(ws->timestamp_end == 1795465266.633994);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&orig), orig.len);
    buf_clear(&out);
    buf_clear(&orig);
    flow_unref(f);
    tns_free(t);
}

/* Loads a websocket.mitm record changed by edit; returns the error code. */
static int
load_ws_edited(void (*edit)(struct tns *ws), struct err *e)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/websocket.mitm", &orig);
    edit(tns_dict_get(t, "websocket"));
    int rc;
    struct flow *f = load_tree(t, e, &rc);
    ASSERT(rc == 0 || f == NULL);
    flow_unref(f);
    tns_free(t);
    buf_clear(&orig);
    return rc;
}

static void
ws_short_message(struct tns *ws)
{
    struct tns *m = tns_dict_get(ws, "messages")->u.list.v[1];
    tns_free(m->u.list.v[--m->u.list.n]);
}

static void
ws_bad_opcode(struct tns *ws)
{
    struct tns *m = tns_dict_get(ws, "messages")->u.list.v[2];
    m->u.list.v[0]->u.i = 3;
}

static void
ws_bad_close_code(struct tns *ws)
{
    tns_dict_set(ws, "close_code", tns_int(70000));
}

static void
ws_bad_reason(struct tns *ws)
{
    tns_dict_set(ws, "close_reason", tns_int(1));
}

static void
ws_open(struct tns *ws)
{
    /* Still open when saved: no close, no end. */
    tns_dict_set(ws, "close_code", tns_null());
    tns_dict_set(ws, "close_reason", tns_null());
    tns_dict_set(ws, "closed_by_client", tns_null());
    tns_dict_set(ws, "timestamp_end", tns_null());
}

TEST(ffile_websocket_bad_fields_rejected)
{
    struct err e = {0, ""};
    ASSERT_EQ(load_ws_edited(ws_short_message, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "websocket: messages[1] is not a (type, from_client, content, timestamp, "
                        "dropped, injected) tuple");
    ASSERT_EQ(load_ws_edited(ws_bad_opcode, &e), MP_ERR_CORRUPT);
    ASSERT(strstr(e.msg, "messages[2]"));
    ASSERT_EQ(load_ws_edited(ws_bad_close_code, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "websocket: close code 70000 out of range");
    ASSERT_EQ(load_ws_edited(ws_bad_reason, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "websocket: field 'close_reason' has the wrong type '#'");
    ASSERT_EQ(load_ws_edited(ws_open, &e), 0);
}

/* An open WebSocket keeps its None fields through a round trip. */
TEST(ffile_websocket_open_roundtrip)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/websocket.mitm", &orig);
    ws_open(tns_dict_get(t, "websocket"));
    struct buf want = BUF_INIT;
    tns_encode(&want, t);
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(f->websocket->closed_by_client, -1);
    ASSERT_EQ(f->websocket->close_code, -1);
    ASSERT(f->websocket->close_reason == NULL);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&want), want.len);
    buf_clear(&out);
    buf_clear(&want);
    buf_clear(&orig);
    flow_unref(f);
    tns_free(t);
}

/* A minimal live HTTP flow as the proxy builds one. */
static struct flow *
live_http_flow(struct connection **cc, struct connection **sc)
{
    *cc = connection_new(CONN_CLIENT);
    *sc = connection_new(CONN_SERVER);
    addr_set(&(*cc)->peername, "127.0.0.1", 40000);
    addr_set(&(*cc)->address, "127.0.0.1", 40000);
    addr_set(&(*sc)->address, "127.0.0.1", 18082);
    (*cc)->timestamp_start = 1700000000.125;
    struct flow *f = flow_new_http(*cc, *sc);
    f->request = http_request_new();
    http_set_str(&f->request->method, "GET");
    http_set_str(&f->request->scheme, "http");
    http_set_str(&f->request->host, "127.0.0.1");
    http_set_str(&f->request->path, "/chat");
    http_set_str(&f->request->http_version, "HTTP/1.1");
    f->request->port = 18082;
    f->request->timestamp_start = 1700000000.25;
    f->response = http_response_new();
    http_set_str(&f->response->http_version, "HTTP/1.1");
    http_set_str(&f->response->reason, "Switching Protocols");
    f->response->status_code = 101;
    f->response->timestamp_start = 1700000000.5;
    f->live = 0;
    return f;
}

/* Runs a Python check against the flow file at path, with mitmproxy 8.1.1. */
static void
mitmproxy_check(const char *path, const char *code)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c \"\nfrom mitmproxy import io\n"
             "fl = list(io.FlowReader(open('%s', 'rb')).stream())\nf = fl[0]\n%s\"",
             path, code);
    int st = system(cmd);
    ASSERT_EQ(st, 0);
}

static void
write_file(const char *path, const struct buf *b)
{
    FILE *fp = fopen(path, "wb");
    ASSERT(fp != NULL);
    ASSERT_EQ(fwrite(buf_ptr(b), 1, b->len, fp), b->len);
    fclose(fp);
}

/* A WebSocket built the way the layer builds one is a record mitmproxy
 * 8.1.1 loads with the same messages; a dropped one is kept, marked. */
TEST(ffile_websocket_live_flow_loads_in_mitmproxy)
{
    struct connection *cc, *sc;
    struct flow *f = live_http_flow(&cc, &sc);
    flow_ws_add_message(f, 1, 1, "hello", 5);
    flow_ws_add_message(f, 2, 0, "\x00\xff", 2);
    flow_ws_add_message(f, 1, 1, "secret", 6)->dropped = 1;
    flow_ws_set_close(f, 0, 1001, "bye \xc3\xa9", 6);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    char path[] = "/tmp/mp-ws-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    write_file(path, &out);
    char code[1024];
    snprintf(code, sizeof(code),
             "m = [(x.type, x.from_client, x.content, x.dropped, x.injected)"
             " for x in f.websocket.messages]\n"
             "assert m == [(1, True, b'hello', False, False), (2, False, b'\\\\x00\\\\xff', False,"
             " False), (1, True, b'secret', True, False)], m\n"
             "assert f.websocket.closed_by_client is False\n"
             "assert f.websocket.close_code == 1001\n"
             "assert f.websocket.close_reason == 'bye \\\\xe9', f.websocket.close_reason\n"
             "assert f.websocket.timestamp_end > 0\n"
             "assert f.id == '%s'\n",
             f->id);
    mitmproxy_check(path, code);
    unlink(path);
    /* And we read back what we wrote, byte for byte. */
    struct flow **flows;
    int rc;
    struct err e = {0, ""};
    size_t n = read_all(buf_ptr(&out), out.len, &flows, &rc, &e);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(flows[0]->websocket->nmessages, 3);
    ASSERT_EQ(flows[0]->websocket->messages[2].dropped, 1);
    struct buf again = BUF_INIT;
    ffile_serialize(&again, flows[0]);
    ASSERT_MEMEQ(buf_ptr(&again), again.len, buf_ptr(&out), out.len);
    buf_clear(&again);
    buf_clear(&out);
    free_flows(flows, n);
    flow_unref(f);
    connection_unref(cc);
    connection_unref(sc);
}

/* replay-client.mitm: mitmproxy's client replay kept the recorded flow as
 * the backup. It is a flow of its own here, and revert brings it back. */
TEST(ffile_backup_loaded_and_reverted)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/replay-client.mitm", &orig);
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(tns_dict_get(f->extra, "backup") == NULL);
    ASSERT(f->backup != NULL);
    ASSERT_EQ(f->backup->type, FLOW_HTTP);
    ASSERT_STREQ(f->backup->id, f->id);
    ASSERT(f->backup->is_replay == NULL);
    ASSERT_STREQ(f->is_replay, "request");
    ASSERT(flow_modified(f));
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&orig), orig.len);

    /* Reverted, the flow is the backup as mitmproxy wrote it, byte for byte. */
    struct http_response *resp = f->response;
    flow_revert(f);
    ASSERT(f->backup == NULL);
    ASSERT(!flow_modified(f));
    ASSERT(f->response == resp);
    ASSERT(f->is_replay == NULL);
    struct buf want = BUF_INIT, got = BUF_INIT;
    tns_encode(&want, tns_dict_get(t, "backup"));
    ffile_serialize(&got, f);
    ASSERT_MEMEQ(buf_ptr(&got), got.len, buf_ptr(&want), want.len);
    buf_clear(&want);
    buf_clear(&got);
    buf_clear(&out);
    buf_clear(&orig);
    flow_unref(f);
    tns_free(t);
}

/* flow_backup() and an edit: the record holds the backup first, mitmproxy
 * reverts to it; an unmodified backup is not written (as get_state()). */
TEST(ffile_backup_written_while_modified)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/get-query.mitm", &orig);
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    char *path0 = strdup(f->request->path);
    flow_backup(f);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&orig), orig.len);

    http_set_str(&f->request->path, "/edited?by=ui");
    buf_reset(&out);
    ffile_serialize(&out, f);
    const char *colon = memchr(buf_ptr(&out), ':', out.len);
    ASSERT(colon && strncmp(colon + 1, "6:backup;", 9) == 0);
    char path[] = "/tmp/mp-backup-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    write_file(path, &out);
    char code[1024];
    snprintf(code, sizeof(code),
             "assert f.modified()\n"
             "assert f.request.path == '/edited?by=ui'\n"
             "f.revert()\n"
             "assert f.request.path == '%s', f.request.path\n"
             "assert not f.modified()\n",
             path0);
    mitmproxy_check(path, code);
    unlink(path);

    /* Read back: the same backup, the same bytes. */
    struct flow **flows;
    size_t n = read_all(buf_ptr(&out), out.len, &flows, &rc, &e);
    ASSERT_EQ(n, 1);
    ASSERT(flows[0]->backup != NULL);
    ASSERT_STREQ(flows[0]->backup->request->path, path0);
    ASSERT(flow_modified(flows[0]));
    struct buf again = BUF_INIT;
    ffile_serialize(&again, flows[0]);
    ASSERT_MEMEQ(buf_ptr(&again), again.len, buf_ptr(&out), out.len);
    buf_clear(&again);
    free_flows(flows, n);
    free(path0);
    buf_clear(&out);
    buf_clear(&orig);
    flow_unref(f);
    tns_free(t);
}

/* A backup is loaded with its own version and must be a flow of the same
 * type; what is wrong with it is named as the backup's. */
TEST(ffile_backup_errors_named)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/replay-client.mitm", &orig);
    struct tns *b = tns_dict_get(t, "backup");
    struct err e = {0, ""};
    int rc;
    tns_dict_set(b, "version", tns_int(99));
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, MP_ERR_UNSUPPORTED);
    ASSERT(f == NULL);
    ASSERT_STREQ(e.msg, "backup: unsupported flow file version 99");
    /* An older backup is upgraded as a record of its version would be. */
    tns_dict_set(b, "version", tns_int(16));
    tns_dict_set(b, "mode", tns_text("regular"));
    f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(f->backup != NULL);
    flow_unref(f);
    tns_dict_set(b, "version", tns_int(17));
    tns_dict_set(b, "type", tns_text("tcp"));
    tns_dict_set(b, "messages", tns_list());
    f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "backup: a tcp flow backs up a http flow");
    tns_dict_set(t, "backup", tns_int(1));
    f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "flow: field 'backup' has the wrong type '#'");
    tns_dict_set(t, "backup", tns_null());
    f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(f->backup == NULL);
    flow_unref(f);
    buf_clear(&orig);
    tns_free(t);
}

/* DNSFlow: both messages become struct dns_message and are written back in
 * mitmproxy 8.1.1's key order (the fixtures round-trip test covers every
 * byte); a flow without a response keeps None. */
TEST(ffile_dns_messages_loaded)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/dns.mitm", &orig);
    struct err e = {0, ""};
    int rc;
    struct flow *f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(f->type, FLOW_DNS);
    const struct dns_message *q = f->dns_request, *r = f->dns_response;
    ASSERT(q && r);
    ASSERT_EQ(q->id, 4660);
    ASSERT(q->query && q->recursion_desired && !q->authoritative_answer);
    ASSERT(q->timestamp == 1795465274.2844875);
    ASSERT_STREQ(q->questions[0].name, "example.test");
    ASSERT(!r->query && r->authoritative_answer && r->recursion_available);
    ASSERT_EQ(r->answers.n, 1);
    ASSERT_EQ(r->answers.v[0].ttl, 300);
    ASSERT_MEMEQ(buf_ptr(&r->answers.v[0].data), r->answers.v[0].data.len, "\x7f\0\0\1", 4);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&orig), orig.len);

    /* The written record comes from the messages, not from the loaded trees. */
    f->dns_response->answers.v[0].ttl = 7;
    dns_message_free(f->dns_request);
    f->dns_request = NULL;
    buf_reset(&out);
    ffile_serialize(&out, f);
    ASSERT(memmem(buf_ptr(&out), out.len, "3:ttl;1:7#", 10) != NULL);
    ASSERT(memmem(buf_ptr(&out), out.len, "7:request;0:~", 13) != NULL);
    flow_unref(f);

    tns_dict_set(t, "response", tns_null());
    f = load_tree(t, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(f->dns_response == NULL);
    buf_reset(&out);
    ffile_serialize(&out, f);
    ASSERT(memmem(buf_ptr(&out), out.len, "8:response;0:~", 14) != NULL);
    flow_unref(f);
    buf_clear(&out);
    buf_clear(&orig);
    tns_free(t);
}

/* Loads the first DNS fixture after edit(request); returns the error. */
static int
load_dns_edited(void (*edit)(struct tns *request), struct err *e)
{
    struct buf orig = BUF_INIT;
    struct tns *t = first_record("flows/dns.mitm", &orig);
    edit(tns_dict_get(t, "request"));
    int rc;
    struct flow *f = load_tree(t, e, &rc);
    ASSERT(f == NULL);
    tns_free(t);
    buf_clear(&orig);
    return rc;
}

static void
dns_big_id(struct tns *q)
{
    tns_dict_set(q, "id", tns_int(65536));
}

static void
dns_text_query(struct tns *q)
{
    tns_dict_set(q, "query", tns_text("yes"));
}

static void
dns_bad_question(struct tns *q)
{
    struct tns *qs = tns_dict_get(q, "questions");
    tns_dict_set(qs->u.list.v[0], "type", tns_int(-1));
}

static void
dns_text_data(struct tns *q)
{
    struct tns *rr = tns_dict();
    tns_dict_set(rr, "name", tns_text("x"));
    tns_dict_set(rr, "type", tns_int(1));
    tns_dict_set(rr, "class_", tns_int(1));
    tns_dict_set(rr, "ttl", tns_int(1));
    tns_dict_set(rr, "data", tns_text("1.2.3.4"));
    tns_list_append(tns_dict_get(q, "additionals"), rr);
}

static void
dns_no_answers(struct tns *q)
{
    tns_free(tns_dict_take(q, "answers"));
}

TEST(ffile_dns_bad_messages_rejected)
{
    struct err e = {0, ""};
    ASSERT_EQ(load_dns_edited(dns_big_id, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "dns request: id 65536 is out of range 0..65535");
    ASSERT_EQ(load_dns_edited(dns_text_query, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "dns request: field 'query' is missing or has the wrong type");
    ASSERT_EQ(load_dns_edited(dns_bad_question, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "dns request: questions[0]: type -1 is out of range 0..65535");
    ASSERT_EQ(load_dns_edited(dns_text_data, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg,
                 "dns request: additionals[0]: field 'data' is missing or has the wrong type");
    ASSERT_EQ(load_dns_edited(dns_no_answers, &e), MP_ERR_CORRUPT);
    ASSERT_STREQ(e.msg, "dns request: field 'answers' is missing or has the wrong type");
}

/* A DNS flow built in C is a record mitmproxy 8.1.1 loads with the same
 * messages, and packs into the bytes our writer makes. */
TEST(ffile_dns_live_flow_loads_in_mitmproxy)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    addr_set(&cc->peername, "127.0.0.1", 40000);
    addr_set(&cc->address, "127.0.0.1", 40000);
    addr_set(&sc->address, "127.0.0.1", 53);
    cc->timestamp_start = 1700000000.125;
    struct flow *f = flow_new_dns(cc, sc);
    struct dns_message *q = dns_message_new();
    q->id = 0xbeef;
    q->recursion_desired = 1;
    q->timestamp = 1700000000.5;
    dns_add_question(q, "www.example.org", DNS_TYPE_CNAME, DNS_CLASS_IN);
    struct dns_message *r = dns_message_copy(q);
    r->query = 0;
    r->response_code = DNS_RCODE_NXDOMAIN;
    r->timestamp = 1700000000.75;
    dns_add_rr(&r->authorities, "example.org", DNS_TYPE_SOA, DNS_CLASS_IN, 3600,
               "\2ns\0\4host\0\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5", 30);
    f->dns_request = q;
    f->dns_response = r;
    f->live = 0;
    struct buf wire = BUF_INIT;
    ASSERT_EQ(dns_write(&wire, r, 0, NULL), 0);
    char hex[512] = "";
    for (size_t i = 0; i < wire.len && 2 * i + 2 < sizeof(hex); i++)
        snprintf(hex + 2 * i, 3, "%02x", buf_ptr(&wire)[i]);
    char path[] = "/tmp/mp-dns-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);
    ASSERT_EQ(write(fd, buf_ptr(&out), out.len), (ssize_t)out.len);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c \"\n"
             "from mitmproxy import io, dns\n"
             "fl = list(io.FlowReader(open('%s', 'rb')).stream())\n"
             "assert len(fl) == 1 and isinstance(fl[0], dns.DNSFlow), fl\n"
             "q, r = fl[0].request, fl[0].response\n"
             "assert q.id == 0xbeef and q.query and q.questions[0].name == 'www.example.org'\n"
             "assert r.response_code == 3 and not r.query and r.authorities[0].ttl == 3600\n"
             "assert r.packed.hex() == '%s', r.packed.hex()\n"
             "assert fl[0].id == '%s'\n"
             "\"",
             path, hex, f->id);
    int st = system(cmd);
    unlink(path);
    ASSERT_EQ(st, 0);
    buf_clear(&wire);
    buf_clear(&out);
    flow_unref(f);
    connection_unref(cc);
    connection_unref(sc);
}
