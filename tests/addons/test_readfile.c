/*
 * readfile (-r): the hooks of each stored flow in mitmproxy's order, one
 * at a time. A holder addon defers hooks and a test loop resumes them
 * later, the way an interception UI would; a recorder behind it shows what
 * got through and when.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/readfile.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "util/xmalloc.h"

/* Defers the hooks its filter picks; holds at most one call. */
struct holder {
    struct addon base;
    int (*pick)(const struct hook_data *, int nth);
    int nth; /* hooks seen */
    struct hook_call *held;
};

static enum addon_result
hold_hook(struct addon *a, struct hook_call *call)
{
    struct holder *h = (struct holder *)a;
    if (!h->pick(call->data, h->nth++))
        return ADDON_CONTINUE;
    /* One hook at a time: nothing may overtake a held one. */
    if (h->held != NULL)
        test_fail(__FILE__, __LINE__, "%s sent while another hook is held",
                  hook_name(call->data->hook));
    h->held = call;
    return ADDON_DEFER;
}

/* Logs "hook" or, for message hooks, "hook:messages the flow has". */
struct recorder {
    struct addon base;
    struct buf log;
    size_t entries;
};

static size_t
nmessages(const struct flow *f)
{
    if (f->type == FLOW_TCP)
        return f->nmessages;
    return f->websocket ? f->websocket->nmessages : 0;
}

static enum addon_result
rec_hook(struct addon *a, struct hook_call *call)
{
    struct recorder *r = (struct recorder *)a;
    enum hook h = call->data->hook;
    buf_printf(&r->log, "%s%s", r->entries++ ? "," : "", hook_name(h));
    if (h == HOOK_TCP_START || h == HOOK_TCP_MESSAGE || h == HOOK_TCP_END ||
        h == HOOK_WEBSOCKET_START || h == HOOK_WEBSOCKET_MESSAGE || h == HOOK_WEBSOCKET_END)
        buf_printf(&r->log, ":%zu", nmessages(call->data->flow));
    return ADDON_CONTINUE;
}

static void
rec_free(struct addon *a)
{
    buf_clear(&((struct recorder *)a)->log);
    free(a);
}

static void
plain_free(struct addon *a)
{
    free(a);
}

#define ALL_HOOKS(fn)                                                                              \
    {                                                                                              \
        [HOOK_REQUESTHEADERS] = fn, [HOOK_REQUEST] = fn, [HOOK_RESPONSEHEADERS] = fn,              \
        [HOOK_RESPONSE] = fn, [HOOK_ERROR] = fn, [HOOK_TCP_START] = fn, [HOOK_TCP_MESSAGE] = fn,   \
        [HOOK_TCP_END] = fn, [HOOK_TCP_ERROR] = fn, [HOOK_WEBSOCKET_START] = fn,                   \
        [HOOK_WEBSOCKET_MESSAGE] = fn, [HOOK_WEBSOCKET_END] = fn, [HOOK_DNS_REQUEST] = fn,         \
        [HOOK_DNS_RESPONSE] = fn, [HOOK_DNS_ERROR] = fn,                                           \
    }

static const struct addon_ops hold_ops = {
    .name = "holder", .free = plain_free, .hooks = ALL_HOOKS(hold_hook)};
static const struct addon_ops rec_ops = {
    .name = "recorder", .free = rec_free, .hooks = ALL_HOOKS(rec_hook)};

struct rig {
    struct addon_chain *chain;
    struct holder *holder;
    struct recorder *rec;
};

static void
rig_init(struct rig *g, int (*pick)(const struct hook_data *, int))
{
    g->chain = addon_chain_new();
    g->holder = xcalloc(1, sizeof(*g->holder));
    g->holder->base.ops = &hold_ops;
    g->holder->pick = pick;
    g->rec = xcalloc(1, sizeof(*g->rec));
    g->rec->base.ops = &rec_ops;
    addon_chain_add(g->chain, &g->holder->base);
    addon_chain_add(g->chain, &g->rec->base);
}

/* Resumes the held hook, as a UI would long after it was deferred. */
static void
release(struct rig *g)
{
    struct hook_call *call = g->holder->held;
    ASSERT(call != NULL);
    g->holder->held = NULL;
    addon_resume(call);
}

/* The end of a read, as done reports it. */
struct outcome {
    int calls;
    int rc;
    char msg[256];
};

static void
on_done(void *arg, int rc, const struct err *e)
{
    struct outcome *o = arg;
    o->calls++;
    o->rc = rc;
    snprintf(o->msg, sizeof(o->msg), "%s", rc < 0 ? e->msg : "");
}

/* Fixtures back to back in one file, as `cat a.mitm b.mitm` makes. */
static void
concat(char *path, size_t n, const char *const *fixtures)
{
    snprintf(path, n, "/tmp/mp-test-readfile-%d.mitm", (int)getpid());
    FILE *out = fopen(path, "wb");
    ASSERT(out != NULL);
    for (size_t i = 0; fixtures[i]; i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "flows/%s.mitm", fixtures[i]);
        FILE *in = fopen(test_fixture(rel), "rb");
        ASSERT(in != NULL);
        char tmp[4096];
        size_t k;
        while ((k = fread(tmp, 1, sizeof(tmp), in)) > 0)
            fwrite(tmp, 1, k, out);
        fclose(in);
    }
    fclose(out);
}

static const char *const FOUR[] = {"get-query", "websocket", "tcp", "error-refused", NULL};

/* What mitmproxy's eventsequence sends for FOUR, in order. */
#define FOUR_SEQUENCE                                                                              \
    "requestheaders,request,responseheaders,response,"                                             \
    "requestheaders,request,responseheaders,response,websocket_start:0,"                           \
    "websocket_message:1,websocket_message:2,websocket_message:3,websocket_message:4,"             \
    "websocket_message:5,websocket_message:6,websocket_message:7,websocket_message:8,"             \
    "websocket_message:9,websocket_message:10,websocket_message:11,websocket_end:11,"              \
    "tcp_start:6,tcp_message:1,tcp_message:2,tcp_message:3,tcp_message:4,tcp_message:5,"           \
    "tcp_message:6,tcp_end:6,"                                                                     \
    "requestheaders,request,error"

static int
pick_none(const struct hook_data *d, int nth)
{
    return 0;
}

static int
pick_all(const struct hook_data *d, int nth)
{
    return 1;
}

/* Counts the times a sliced read handed the loop back. */
static void
count_later(void *ctx)
{
    (*(int *)ctx)++;
}

/* A read of FOUR into a rig: the file, the chain, and what done and the slices report. */
struct four {
    char path[128];
    struct rig g;
    struct outcome o;
    struct err e;
    int laters;
    struct readfile_slices sl;
    struct readfile *rf; /* the sliced read while it goes on */
};

static void
four_init(struct four *r, int (*pick)(const struct hook_data *, int))
{
    memset(r, 0, sizeof(*r));
    concat(r->path, sizeof(r->path), FOUR);
    rig_init(&r->g, pick);
}

static int
four_start(struct four *r, const struct filt *filter)
{
    return readfile_start(r->g.chain, r->path, filter, on_done, &r->o, &r->e);
}

/* Slices bounded by max_flows and max_us (0: no bound), counted in r->laters. */
static int
four_start_sliced(struct four *r, const struct filt *filter, unsigned max_flows, unsigned max_us)
{
    r->sl = (struct readfile_slices){
        .max_flows = max_flows, .max_us = max_us, .later = count_later, .ctx = &r->laters};
    return readfile_start_sliced(r->g.chain, r->path, filter, &r->sl, on_done, &r->o, &r->rf,
                                 &r->e);
}

static void
four_end(struct four *r)
{
    addon_chain_free(r->g.chain);
    unlink(r->path);
}

/* Without deferral everything goes through before readfile_start returns. */
TEST(readfile_hooks_in_eventsequence_order)
{
    struct four r;
    four_init(&r, pick_none);
    ASSERT_EQ(four_start(&r, NULL), 0);
    ASSERT_EQ(r.o.calls, 1);
    ASSERT_EQ(r.o.rc, 4);
    ASSERT_BUF_STR(&r.g.rec->log, FOUR_SEQUENCE);
    four_end(&r);
}

/*
 * Every hook deferred and resumed later from the loop below: each hook
 * goes out only once the one before is through, flows after a held one
 * wait, and done comes once, after the last.
 */
TEST(readfile_waits_for_deferred_hooks)
{
    struct four r;
    four_init(&r, pick_all);
    ASSERT_EQ(four_start(&r, NULL), 0);
    size_t resumed = 0;
    while (r.g.holder->held) {
        /* The held hook has not reached the recorder, nor has anything after it. */
        ASSERT_EQ(r.g.rec->entries, resumed);
        ASSERT_EQ(r.o.calls, 0);
        release(&r.g);
        resumed++;
        ASSERT_EQ(r.g.rec->entries, resumed);
    }
    ASSERT_EQ(resumed, 32);
    ASSERT_EQ(r.o.calls, 1);
    ASSERT_EQ(r.o.rc, 4);
    ASSERT_BUF_STR(&r.g.rec->log, FOUR_SEQUENCE);
    four_end(&r);
}

/* Only the fifth WebSocket message is held: the rest runs up to it. */
static int
pick_fifth_message(const struct hook_data *d, int nth)
{
    return d->hook == HOOK_WEBSOCKET_MESSAGE && d->flow->websocket->nmessages == 5;
}

TEST(readfile_one_held_hook_holds_later_flows)
{
    struct four r;
    four_init(&r, pick_fifth_message);
    ASSERT_EQ(four_start(&r, NULL), 0);
    ASSERT(r.g.holder->held != NULL);
    ASSERT_EQ(r.o.calls, 0);
    const char *log = (const char *)buf_ptr(&r.g.rec->log);
    size_t len = r.g.rec->log.len;
    const char *tail = "websocket_message:4";
    ASSERT(len > strlen(tail) && memcmp(log + len - strlen(tail), tail, strlen(tail)) == 0);
    release(&r.g);
    ASSERT(r.g.holder->held == NULL);
    ASSERT_EQ(r.o.calls, 1);
    ASSERT_EQ(r.o.rc, 4);
    ASSERT_BUF_STR(&r.g.rec->log, FOUR_SEQUENCE);
    four_end(&r);
}

/* An addon in websocket_message changes the message it is shown; the
 * flow keeps the change (as a UI edit of a loaded flow would). */
static enum addon_result
upper_hook(struct addon *a, struct hook_call *call)
{
    struct websocket_data *ws = call->data->flow->websocket;
    struct ws_message *m = &ws->messages[ws->nmessages - 1];
    for (size_t i = 0; i < m->content.len; i++)
        if (buf_ptr(&m->content)[i] >= 'a' && buf_ptr(&m->content)[i] <= 'z')
            buf_ptr(&m->content)[i] -= 32;
    return ADDON_CONTINUE;
}

static struct flow *last_seen;

static enum addon_result
keep_hook(struct addon *a, struct hook_call *call)
{
    flow_unref(last_seen);
    last_seen = flow_ref(call->data->flow);
    return ADDON_CONTINUE;
}

static const struct addon_ops upper_ops = {
    .name = "upper", .free = plain_free, .hooks = {[HOOK_WEBSOCKET_MESSAGE] = upper_hook}};
static const struct addon_ops keep_ops = {
    .name = "keep", .free = plain_free, .hooks = {[HOOK_WEBSOCKET_END] = keep_hook}};

TEST(readfile_websocket_messages_editable)
{
    struct addon_chain *c = addon_chain_new();
    struct addon *up = xcalloc(1, sizeof(*up)), *keep = xcalloc(1, sizeof(*keep));
    up->ops = &upper_ops;
    keep->ops = &keep_ops;
    addon_chain_add(c, up);
    addon_chain_add(c, keep);
    struct err e = {0};
    ASSERT_EQ(readfile_run(c, test_fixture("flows/websocket.mitm"), &e), 1);
    ASSERT(last_seen != NULL);
    const struct websocket_data *ws = last_seen->websocket;
    ASSERT_EQ(ws->nmessages, 11);
    ASSERT_BUF_STR(&ws->messages[0].content, "WELCOME");
    ASSERT_BUF_STR(&ws->messages[10].content, "ECHO: BYE");
    ASSERT(ws->messages[10].timestamp == 1795465266.633395);
    ASSERT_EQ(ws->close_code, 1000);
    flow_unref(last_seen);
    last_seen = NULL;
    addon_chain_free(c);
}

/* readfile_filter: only matching flows are loaded, and counted. */
TEST(readfile_start_filtered)
{
    struct four r;
    four_init(&r, pick_none);
    struct filt *websockets = filt_compile("~websocket", &r.e);
    ASSERT(websockets != NULL);
    ASSERT_EQ(four_start(&r, websockets), 0);
    ASSERT_EQ(r.o.rc, 1);
    ASSERT(strncmp((const char *)buf_ptr(&r.g.rec->log), "requestheaders,request,", 23) == 0);
    ASSERT(strstr((const char *)buf_ptr(&r.g.rec->log), "tcp_start") == NULL);
    filt_free(websockets);
    four_end(&r);
}

/* A file that cannot be opened: an error at once, no done. */
TEST(readfile_start_missing_file)
{
    struct rig g;
    rig_init(&g, pick_none);
    struct outcome o = {0};
    struct err e = {0};
    ASSERT_EQ(readfile_start(g.chain, "/nonexistent.mitm", NULL, on_done, &o, &e), MP_ERR_IO);
    ASSERT_EQ(o.calls, 0);
    ASSERT_STREQ(e.msg, "cannot read flows from '/nonexistent.mitm': No such file or directory");
    addon_chain_free(g.chain);
}

/* A damaged record ends the read with its error, after the flows before it. */
TEST(readfile_start_reports_damage_through_done)
{
    struct four r;
    four_init(&r, pick_all);
    FILE *f = fopen(r.path, "ab");
    fputs("12:not a flow!", f);
    fclose(f);
    ASSERT_EQ(four_start(&r, NULL), 0);
    while (r.g.holder->held)
        release(&r.g);
    ASSERT_EQ(r.o.calls, 1);
    ASSERT_EQ(r.o.rc, MP_ERR_CORRUPT);
    ASSERT(strstr(r.o.msg, "corrupt flow record at byte") != NULL);
    ASSERT_BUF_STR(&r.g.rec->log, FOUR_SEQUENCE);
    four_end(&r);
}

/*
 * readfile_run() has no loop to wait in: a deferred hook ends the call
 * with an error. The held flow still finishes when resumed; the flows
 * after it are not read.
 */
static int
pick_first_request(const struct hook_data *d, int nth)
{
    return nth == 1;
}

TEST(readfile_run_cannot_wait)
{
    struct rig g;
    rig_init(&g, pick_first_request);
    struct err e = {0};
    int rc = readfile_run(g.chain, test_fixture("flows/methods.mitm"), &e);
    ASSERT_EQ(rc, MP_ERR_UNSUPPORTED);
    ASSERT(strstr(e.msg, "an addon deferred a hook of flow 1; reading on needs an event loop"));
    ASSERT_BUF_STR(&g.rec->log, "requestheaders");
    release(&g);
    ASSERT_BUF_STR(&g.rec->log, "requestheaders,request,responseheaders,response");
    addon_chain_free(g.chain);
}

/* One flow handed over directly: a held hook holds back the rest of it. */
TEST(readfile_load_flow_waits)
{
    struct flow *f = flow_new_tcp(NULL, NULL);
    flow_tcp_add_message(f, 1, "a", 1);
    flow_tcp_add_message(f, 0, "b", 1);
    f->live = 0;
    struct rig g;
    rig_init(&g, pick_all);
    readfile_load_flow(g.chain, f);
    int n = 0;
    while (g.holder->held) {
        release(&g);
        n++;
    }
    ASSERT_EQ(n, 4);
    ASSERT_BUF_STR(&g.rec->log, "tcp_start:2,tcp_message:1,tcp_message:2,tcp_end:2");
    /* The messages are back where they were. */
    ASSERT_EQ(f->nmessages, 2);
    ASSERT_BUF_STR(&f->messages[1].content, "b");
    flow_unref(f);
    addon_chain_free(g.chain);
}

/* A HAR file where a flow file was expected: chosen by its first byte. */
static const char HAR_TWO[] =
    "\xef\xbb\xbf{\"log\": {\"entries\": ["
    "{\"startedDateTime\": \"2024-01-02T03:04:05.000Z\", \"time\": 10,"
    " \"request\": {\"method\": \"GET\", \"url\": \"http://example.com/a\","
    " \"httpVersion\": \"HTTP/1.1\", \"headers\": [], \"cookies\": [], \"queryString\": [],"
    " \"headersSize\": -1, \"bodySize\": 0},"
    " \"response\": {\"status\": 200, \"statusText\": \"OK\", \"httpVersion\": \"HTTP/1.1\","
    " \"headers\": [], \"cookies\": [], \"content\": {\"size\": 2, \"mimeType\": \"text/plain\","
    " \"text\": \"hi\"}, \"redirectURL\": \"\", \"headersSize\": -1, \"bodySize\": 2},"
    " \"cache\": {}, \"timings\": {\"send\": 1, \"wait\": 2, \"receive\": 3}},"
    "{\"startedDateTime\": \"2024-01-02T03:04:06.000Z\", \"time\": 10,"
    " \"request\": {\"method\": \"POST\", \"url\": \"https://example.com/b\","
    " \"httpVersion\": \"HTTP/2.0\", \"headers\": [], \"cookies\": [], \"queryString\": [],"
    " \"headersSize\": -1, \"bodySize\": 0},"
    " \"response\": {\"status\": 204, \"statusText\": \"\", \"httpVersion\": \"HTTP/2.0\","
    " \"headers\": [], \"cookies\": [], \"content\": {\"size\": 0, \"mimeType\": \"\"},"
    " \"redirectURL\": \"\", \"headersSize\": -1, \"bodySize\": 0},"
    " \"cache\": {}, \"timings\": {\"send\": 1, \"wait\": 2, \"receive\": 3}}"
    "]}}";

static void
write_file(char *path, size_t n, const char *text)
{
    snprintf(path, n, "/tmp/mp-test-readfile-%d.har", (int)getpid());
    FILE *out = fopen(path, "wb");
    ASSERT(out != NULL);
    fputs(text, out);
    fclose(out);
}

TEST(readfile_reads_har_files)
{
    char path[128];
    write_file(path, sizeof(path), HAR_TWO);
    struct rig g;
    rig_init(&g, pick_all);
    struct outcome o = {0};
    struct err e = {0};
    ASSERT_EQ(readfile_start(g.chain, path, NULL, on_done, &o, &e), 0);
    while (g.holder->held)
        release(&g);
    ASSERT_EQ(o.calls, 1);
    ASSERT_EQ(o.rc, 2);
    ASSERT_BUF_STR(&g.rec->log, "requestheaders,request,responseheaders,response,"
                                "requestheaders,request,responseheaders,response");
    addon_chain_free(g.chain);
    unlink(path);
}

/* A HAR file with a bad entry: the entries before it, then the error. */
TEST(readfile_har_damage_through_done)
{
    char path[128];
    struct buf text = BUF_INIT;
    buf_append(&text, HAR_TWO, sizeof(HAR_TWO) - 1 - 3);
    buf_append_str(&text, ", {\"request\": 7}]}}");
    char *doc = buf_strdup(&text);
    write_file(path, sizeof(path), doc);
    free(doc);
    buf_clear(&text);
    struct rig g;
    rig_init(&g, pick_none);
    struct outcome o = {0};
    struct err e = {0};
    ASSERT_EQ(readfile_start(g.chain, path, NULL, on_done, &o, &e), 0);
    ASSERT_EQ(o.calls, 1);
    ASSERT(o.rc < 0);
    ASSERT(strstr(o.msg, "entry 2") != NULL);
    ASSERT_BUF_STR(&g.rec->log, "requestheaders,request,responseheaders,response,"
                                "requestheaders,request,responseheaders,response");
    addon_chain_free(g.chain);
    unlink(path);

    /* Not JSON at all: nothing delivered, the error names the file. */
    write_file(path, sizeof(path), "{\"log\": ");
    rig_init(&g, pick_none);
    memset(&o, 0, sizeof(o));
    ASSERT_EQ(readfile_start(g.chain, path, NULL, on_done, &o, &e), 0);
    ASSERT_EQ(o.calls, 1);
    ASSERT(o.rc < 0);
    ASSERT(strstr(o.msg, path) != NULL);
    ASSERT_BUF_STR(&g.rec->log, "");
    addon_chain_free(g.chain);
    unlink(path);
}

/* ---- slices (readfile_start_sliced) ----------------------------------------------- */

/*
 * One flow a slice: each slice ends after its flow's last hook, the read
 * waits for readfile_continue(), and the hooks are those of a read in one
 * go. The end is found in a slice of its own.
 */
TEST(readfile_sliced_hands_the_loop_back_between_flows)
{
    struct four r;
    four_init(&r, pick_none);
    ASSERT_EQ(four_start_sliced(&r, NULL, 1, 0), 0);
    ASSERT(r.rf != NULL);
    ASSERT_EQ(r.laters, 1);
    ASSERT_BUF_STR(&r.g.rec->log, "requestheaders,request,responseheaders,response");
    const size_t after[] = {21, 29, 32, 32}; /* hooks seen after each further slice */
    for (size_t i = 0; i < 4; i++) {
        ASSERT_EQ(r.o.calls, 0);
        readfile_continue(r.rf);
        ASSERT_EQ(r.g.rec->entries, after[i]);
        ASSERT_EQ(r.laters, i < 3 ? (int)i + 2 : 4);
    }
    ASSERT_EQ(r.o.calls, 1);
    ASSERT_EQ(r.o.rc, 4);
    ASSERT_BUF_STR(&r.g.rec->log, FOUR_SEQUENCE);
    four_end(&r);
}

/* Two flows a slice; a time bound of 1 us ends a slice after each flow. */
TEST(readfile_sliced_bounds)
{
    struct four r;
    four_init(&r, pick_none);
    ASSERT_EQ(four_start_sliced(&r, NULL, 2, 0), 0);
    ASSERT_EQ(r.g.rec->entries, 21);
    readfile_continue(r.rf);
    ASSERT_EQ(r.g.rec->entries, 32);
    ASSERT_EQ(r.o.calls, 0);
    readfile_continue(r.rf);
    ASSERT_EQ(r.o.calls, 1);
    ASSERT_EQ(r.o.rc, 4);
    ASSERT_EQ(r.laters, 2);
    four_end(&r);

    four_init(&r, pick_none);
    ASSERT_EQ(four_start_sliced(&r, NULL, 0, 1), 0);
    ASSERT_EQ(r.g.rec->entries, 4);
    while (r.o.calls == 0)
        readfile_continue(r.rf);
    ASSERT_EQ(r.laters, 4);
    ASSERT_BUF_STR(&r.g.rec->log, FOUR_SEQUENCE);
    four_end(&r);
}

/* Flows the filter skips count toward the slice: a rare match does not
 * hold the loop for the whole file. */
TEST(readfile_sliced_skipped_flows_count)
{
    struct four r;
    four_init(&r, pick_none);
    struct filt *websockets = filt_compile("~websocket", &r.e);
    ASSERT(websockets != NULL);
    ASSERT_EQ(four_start_sliced(&r, websockets, 1, 0), 0);
    /* The first flow was read, skipped, and the slice was over. */
    ASSERT_EQ(r.laters, 1);
    ASSERT_EQ(r.g.rec->entries, 0);
    readfile_continue(r.rf);
    ASSERT(strncmp((const char *)buf_ptr(&r.g.rec->log), "requestheaders,request,", 23) == 0);
    while (r.o.calls == 0)
        readfile_continue(r.rf);
    ASSERT_EQ(r.o.rc, 1);
    ASSERT(strstr((const char *)buf_ptr(&r.g.rec->log), "tcp_start") == NULL);
    filt_free(websockets);
    four_end(&r);
}

/* Cancelled between slices: freed at once, done never runs, nothing more
 * is read (ASan sees no leak). */
TEST(readfile_sliced_cancel_between_slices)
{
    struct four r;
    four_init(&r, pick_none);
    ASSERT_EQ(four_start_sliced(&r, NULL, 1, 0), 0);
    readfile_cancel(r.rf);
    ASSERT_EQ(r.o.calls, 0);
    ASSERT_EQ(r.g.rec->entries, 4);
    four_end(&r);
}

/* Cancelled while an addon holds a hook: the rest of that flow goes out
 * when it resumes, then the read ends without done. */
TEST(readfile_sliced_cancel_while_held)
{
    struct four r;
    four_init(&r, pick_all);
    ASSERT_EQ(four_start_sliced(&r, NULL, 1, 0), 0);
    ASSERT(r.g.holder->held != NULL);
    readfile_cancel(r.rf);
    while (r.g.holder->held)
        release(&r.g);
    ASSERT_EQ(r.o.calls, 0);
    ASSERT_EQ(r.laters, 0);
    ASSERT_BUF_STR(&r.g.rec->log, "requestheaders,request,responseheaders,response");
    four_end(&r);
}

/* A small file in one slice: over before the call returns, as unsliced. */
TEST(readfile_sliced_small_file_at_once)
{
    struct four r;
    four_init(&r, pick_none);
    r.rf = (struct readfile *)&r.o;
    ASSERT_EQ(four_start_sliced(&r, NULL, 100, 0), 0);
    ASSERT(r.rf == NULL);
    ASSERT_EQ(r.laters, 0);
    ASSERT_EQ(r.o.calls, 1);
    ASSERT_EQ(r.o.rc, 4);
    ASSERT_EQ(readfile_start_sliced(r.g.chain, "/nonexistent.mitm", NULL, &r.sl, on_done, &r.o,
                                    &r.rf, &r.e),
              MP_ERR_IO);
    ASSERT_EQ(r.o.calls, 1);
    four_end(&r);
}
