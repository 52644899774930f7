/*
 * store.c and view.c: flows in and out, the events a UI follows, orders,
 * the filter, marks, comments, settings and the focus (mitmproxy's View
 * and Focus). A shadow list kept from the events alone must equal the view
 * after every operation.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "dns/dns.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "http/message.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

/* A UI's copy of the list, kept from ADD/REMOVE/REFRESH alone. */
struct shadow {
    struct store *s;
    char **ids;
    size_t n;
    size_t events[8];
};

static void
shadow_reset(struct shadow *sh)
{
    for (size_t i = 0; i < sh->n; i++)
        free(sh->ids[i]);
    free(sh->ids);
    sh->ids = NULL;
    sh->n = 0;
}

static void
shadow_refresh(struct shadow *sh)
{
    shadow_reset(sh);
    size_t n = store_view_len(sh->s);
    sh->ids = xcalloc(n ? n : 1, sizeof(*sh->ids));
    for (size_t i = 0; i < n; i++)
        sh->ids[i] = xstrdup(tstore_view_id(sh->s, i));
    sh->n = n;
}

static void
shadow_cb(void *arg, enum store_event ev, const char *id, size_t index)
{
    struct shadow *sh = arg;
    sh->events[ev]++;
    switch (ev) {
    case STORE_ADD:
        ASSERT(index <= sh->n);
        sh->ids = xrealloc(sh->ids, (sh->n + 1) * sizeof(*sh->ids));
        memmove(&sh->ids[index + 1], &sh->ids[index], (sh->n - index) * sizeof(*sh->ids));
        sh->ids[index] = xstrdup(id);
        sh->n++;
        break;
    case STORE_REMOVE:
        ASSERT(index < sh->n);
        ASSERT_STREQ(sh->ids[index], id);
        free(sh->ids[index]);
        memmove(&sh->ids[index], &sh->ids[index + 1], (sh->n - index - 1) * sizeof(*sh->ids));
        sh->n--;
        break;
    case STORE_UPDATE:
        ASSERT(index < sh->n);
        ASSERT_STREQ(sh->ids[index], id);
        break;
    case STORE_REFRESH:
        shadow_refresh(sh);
        break;
    default:
        break;
    }
}

static void
shadow_check(struct shadow *sh)
{
    ASSERT_EQ(sh->n, store_view_len(sh->s));
    for (size_t i = 0; i < sh->n; i++)
        ASSERT_STREQ(sh->ids[i], tstore_view_id(sh->s, i));
}

static void
shadow_clear(struct shadow *sh)
{
    shadow_reset(sh);
}

/* The fixture flows in a store, which holds the only references. */
static struct store *
filled(struct shadow *sh, struct flow ***flowsp, size_t *np)
{
    struct store *s = tstore_new(NULL);
    memset(sh, 0, sizeof(*sh));
    sh->s = s;
    store_subscribe(s, shadow_cb, sh);
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(store_add(s, flows[i]), 1);
    shadow_check(sh);
    *flowsp = flows;
    *np = n;
    return s;
}

static int
count_shown(struct store *s, int (*pred)(const struct store_info *))
{
    int k = 0;
    for (size_t i = 0; i < store_view_len(s); i++) {
        struct store_info info;
        ASSERT_EQ(store_view_info(s, i, &info), 0);
        k += pred(&info);
    }
    return k;
}

TEST(store_add_update_remove_send_events_the_list_follows)
{
    struct shadow sh;
    struct flow **flows;
    size_t n;
    struct store *s = filled(&sh, &flows, &n);
    ASSERT_EQ(store_count(s), n);
    ASSERT_EQ(store_view_len(s), n);
    ASSERT_EQ(sh.events[STORE_ADD], n);
    /* The same id again is not a new flow. */
    ASSERT_EQ(store_add(s, flows[0]), 0);
    ASSERT_EQ(store_count(s), n);

    /* An update of a flow that changed: UPDATE at its index. */
    struct store_info info;
    ASSERT_EQ(store_info(s, flows[3]->id, &info), 0);
    size_t ups = sh.events[STORE_UPDATE];
    flows[3]->comment = (free(flows[3]->comment), xstrdup("changed"));
    store_update(s, flows[3]);
    ASSERT_EQ(sh.events[STORE_UPDATE], ups + 1);
    ASSERT_EQ(store_info(s, flows[3]->id, &info), 0);
    ASSERT_STREQ(info.comment, "changed");
    shadow_check(&sh);

    /* Removing: REMOVE at its index, then STORE_REMOVE. */
    char id[UUID_STR_LEN];
    memcpy(id, flows[5]->id, UUID_STR_LEN);
    ASSERT_EQ(store_remove(s, id), 0);
    ASSERT_EQ(sh.events[STORE_REMOVE], 1);
    ASSERT_EQ(sh.events[STORE_STORE_REMOVE], 1);
    ASSERT_EQ(store_count(s), n - 1);
    ASSERT_EQ(store_view_index(s, id), -1);
    ASSERT_EQ(store_remove(s, id), MP_ERR_NOTFOUND);
    ASSERT(store_get(s, id, NULL) == NULL);
    shadow_check(&sh);

    /* An update of a flow not in the store is ignored. */
    store_update(s, flows[5]);
    ASSERT_EQ(store_count(s), n - 1);

    /* view.clear: REFRESH and STORE_REFRESH, nothing left. */
    store_clear(s);
    ASSERT_EQ(sh.events[STORE_STORE_REFRESH], 1);
    ASSERT_EQ(store_count(s), 0);
    ASSERT_EQ(store_view_len(s), 0);
    shadow_check(&sh);
    tflows_free(flows, n);
    shadow_clear(&sh);
    store_free(s);
}

TEST(store_compacted_flows_read_back_the_same)
{
    struct shadow sh;
    struct flow **flows;
    size_t n;
    struct store *s = filled(&sh, &flows, &n);
    struct buf want[64];
    ASSERT(n <= 64);
    for (size_t i = 0; i < n; i++) {
        want[i] = (struct buf)BUF_INIT;
        ffile_serialize(&want[i], flows[i]);
    }
    /* The store holds the only references now: every row compacts. */
    char ids[64][UUID_STR_LEN];
    for (size_t i = 0; i < n; i++)
        memcpy(ids[i], flows[i]->id, UUID_STR_LEN);
    tflows_free(flows, n);
    store__sweep(s, n);
    ASSERT_EQ(s->ncached, 0);
    for (size_t i = 0; i < n; i++) {
        struct err e = {0};
        struct flow *f = store_get(s, ids[i], &e);
        ASSERT(f != NULL);
        struct buf got = BUF_INIT;
        ffile_serialize(&got, f);
        ASSERT_MEMEQ(buf_ptr(&got), got.len, buf_ptr(&want[i]), want[i].len);
        /* The same object while anybody holds it. */
        struct flow *again = store_get(s, ids[i], &e);
        ASSERT(again == f);
        flow_unref(again);
        flow_unref(f);
        buf_clear(&got);
        buf_clear(&want[i]);
    }
    shadow_check(&sh);
    shadow_clear(&sh);
    store_free(s);
}

static int
is_get(const struct store_info *i)
{
    return strcmp(i->method, "GET") == 0;
}

TEST(store_filter_shows_matching_flows_and_refuses_bad_ones)
{
    struct shadow sh;
    struct flow **flows;
    size_t n;
    struct store *s = filled(&sh, &flows, &n);
    struct err e = {0};
    size_t refreshes = sh.events[STORE_REFRESH];
    ASSERT_EQ(store_set_filter(s, "~m GET", &e), 0);
    ASSERT_EQ(sh.events[STORE_REFRESH], refreshes + 1);
    ASSERT_STREQ(store_filter(s), "~m GET");
    size_t shown = store_view_len(s);
    ASSERT(shown > 0 && shown < n);
    ASSERT_EQ(count_shown(s, is_get), (int)shown);
    shadow_check(&sh);

    /* A bad expression: mitmproxy's message, the view as it was. */
    ASSERT(store_set_filter(s, "~x", &e) < 0);
    ASSERT(strstr(e.msg, "Invalid filter expression") != NULL);
    ASSERT_STREQ(store_filter(s), "~m GET");
    ASSERT_EQ(store_view_len(s), shown);

    /* A flow that changes enters or leaves the view. */
    long first = -1;
    for (size_t i = 0; i < n && first < 0; i++)
        if (flows[i]->type == FLOW_HTTP && strcmp(flows[i]->request->method, "GET") == 0)
            first = (long)i;
    ASSERT(first >= 0);
    http_set_str(&flows[first]->request->method, "POST");
    store_update(s, flows[first]);
    ASSERT_EQ(store_view_len(s), shown - 1);
    ASSERT_EQ(store_view_index(s, flows[first]->id), -1);
    shadow_check(&sh);
    http_set_str(&flows[first]->request->method, "GET");
    store_update(s, flows[first]);
    ASSERT_EQ(store_view_len(s), shown);
    shadow_check(&sh);

    /* A new flow the filter hides is in the store, not the view. */
    struct flow *dup = flow_copy(flows[first]);
    http_set_str(&dup->request->method, "PUT");
    store_add(s, dup);
    ASSERT_EQ(store_count(s), n + 1);
    ASSERT_EQ(store_view_len(s), shown);
    flow_unref(dup);

    ASSERT_EQ(store_set_filter(s, NULL, &e), 0);
    ASSERT(store_filter(s) == NULL);
    ASSERT_EQ(store_view_len(s), n + 1);
    shadow_check(&sh);
    tflows_free(flows, n);
    shadow_clear(&sh);
    store_free(s);
}

static int
cmp_key(struct store *s, enum store_order o, size_t a, size_t b)
{
    struct store_info x, y;
    ASSERT_EQ(store_view_info(s, a, &x), 0);
    char xm[256], xu[1024];
    snprintf(xm, sizeof(xm), "%s", x.method);
    snprintf(xu, sizeof(xu), "%s", x.path);
    uint64_t xs = x.size;
    double xt = x.timestamp_created;
    ASSERT_EQ(store_view_info(s, b, &y), 0);
    switch (o) {
    case STORE_ORDER_TIME:
        return xt < y.timestamp_created ? -1 : xt > y.timestamp_created;
    case STORE_ORDER_METHOD:
        return strcmp(xm, y.method);
    case STORE_ORDER_SIZE:
        return xs < y.size ? -1 : xs > y.size;
    default:
        return 0;
    }
}

TEST(store_orders_ascending_and_descending)
{
    struct shadow sh;
    struct flow **flows;
    size_t n;
    struct store *s = filled(&sh, &flows, &n);
    struct err e = {0};
    static const enum store_order orders[] = {STORE_ORDER_TIME, STORE_ORDER_METHOD,
                                              STORE_ORDER_SIZE, STORE_ORDER_URL};
    for (size_t k = 0; k < 4; k++) {
        ASSERT_EQ(store_set_order(s, store_order_name(orders[k]), &e), 0);
        ASSERT_EQ(store_get_order(s), orders[k]);
        for (int rev = 0; rev < 2; rev++) {
            store_set_reversed(s, rev);
            ASSERT_EQ(store_reversed(s), rev);
            shadow_check(&sh);
            for (size_t i = 0; i + 1 < store_view_len(s); i++) {
                int c = cmp_key(s, orders[k], i, i + 1);
                ASSERT(rev ? c >= 0 : c <= 0);
            }
        }
    }
    ASSERT(store_set_order(s, "bogus", &e) < 0);
    ASSERT_STREQ(e.msg, "Unknown flow order: bogus");
    /* Adding and removing under a reversed order keeps the list. */
    ASSERT_EQ(store_set_order(s, "size", &e), 0);
    store_set_reversed(s, 1);
    struct flow *d = flow_copy(flows[1]);
    store_add(s, d);
    shadow_check(&sh);
    store_remove(s, d->id);
    flow_unref(d);
    shadow_check(&sh);
    /* A change of the order key moves the flow. */
    uint8_t *big = xcalloc(1, 4 << 20);
    buf_set(&flows[0]->request->content, big, 4 << 20);
    free(big);
    store_update(s, flows[0]);
    shadow_check(&sh);
    ASSERT_STREQ(tstore_view_id(s, 0), flows[0]->id);
    tflows_free(flows, n);
    shadow_clear(&sh);
    store_free(s);
}

TEST(store_marks_comments_and_settings)
{
    struct shadow sh;
    struct flow **flows;
    size_t n;
    struct store *s = filled(&sh, &flows, &n);
    /* The fixtures mark a few flows; these two are not among them. */
    size_t marked = 0;
    for (size_t i = 0; i < n; i++)
        marked += flows[i]->marked[0] != '\0';
    ASSERT(!flows[2]->marked[0] && !flows[4]->marked[0]);
    marked += 2;
    ASSERT_EQ(store_set_marked(s, flows[2]->id, ":default:"), 0);
    ASSERT_EQ(store_set_marked(s, flows[4]->id, ":red_circle:"), 0);
    ASSERT_EQ(store_set_comment(s, flows[4]->id, "look here"), 0);
    ASSERT_EQ(store_set_marked(s, "nope", "x"), MP_ERR_NOTFOUND);
    struct store_info info;
    ASSERT_EQ(store_info(s, flows[4]->id, &info), 0);
    ASSERT_STREQ(info.marked, ":red_circle:");
    ASSERT_STREQ(info.comment, "look here");
    /* The flow itself carries them too. */
    struct flow *f = store_get(s, flows[4]->id, NULL);
    ASSERT_STREQ(f->marked, ":red_circle:");
    ASSERT_STREQ(f->comment, "look here");
    flow_unref(f);

    /* Only marked flows (from the next refilter). */
    store_set_show_marked(s, 1);
    ASSERT_EQ(store_show_marked(s), 1);
    struct err e = {0};
    ASSERT_EQ(store_set_filter(s, NULL, &e), 0);
    ASSERT_EQ(store_view_len(s), marked);
    shadow_check(&sh);
    store_set_show_marked(s, 0);
    ASSERT_EQ(store_set_filter(s, NULL, &e), 0);
    ASSERT_EQ(store_view_len(s), n);

    /* Settings: per flow, gone with it. */
    ASSERT(store_setting(s, flows[1]->id, "k") == NULL);
    ASSERT_EQ(store_set_setting(s, flows[1]->id, "k", "v"), 0);
    ASSERT_EQ(store_set_setting(s, flows[1]->id, "k2", "w"), 0);
    ASSERT_EQ(store_set_setting(s, flows[1]->id, "k", "v2"), 0);
    ASSERT_STREQ(store_setting(s, flows[1]->id, "k"), "v2");
    ASSERT_STREQ(store_setting(s, flows[1]->id, "k2"), "w");
    ASSERT(store_setting(s, flows[2]->id, "k") == NULL);

    /* view.clear_unmarked: the marked flows stay. */
    store_clear_unmarked(s);
    ASSERT_EQ(store_count(s), marked);
    ASSERT_EQ(sh.events[STORE_STORE_REFRESH], 1);
    ASSERT(store_setting(s, flows[1]->id, "k") == NULL);
    ASSERT(store_view_index(s, flows[2]->id) >= 0);
    ASSERT(store_view_index(s, flows[4]->id) >= 0);
    shadow_check(&sh);
    tflows_free(flows, n);
    shadow_clear(&sh);
    store_free(s);
}

TEST(store_focus_follows_mitmproxy)
{
    struct shadow sh;
    struct flow **flows;
    size_t n;
    struct store *s = filled(&sh, &flows, &n);
    /* mitmproxy's Focus takes the first flow that arrives. */
    ASSERT_EQ(store_focus_index(s), 0);
    store_focus_go(s, -1);
    ASSERT_EQ(store_focus_index(s), (long)n - 1);
    store_focus_next(s);
    ASSERT_EQ(store_focus_index(s), (long)n - 1);
    store_focus_prev(s);
    ASSERT_EQ(store_focus_index(s), (long)n - 2);
    store_focus_go(s, 3);
    ASSERT_EQ(store_focus_index(s), 3);
    store_focus_go(s, -1000);
    ASSERT_EQ(store_focus_index(s), 0);
    store_focus_go(s, 1000);
    ASSERT_EQ(store_focus_index(s), (long)n - 1);

    /* Removing the focused flow moves the focus to its neighbour. */
    store_focus_go(s, 3);
    char id[UUID_STR_LEN];
    memcpy(id, store_focus_id(s), UUID_STR_LEN);
    char next[UUID_STR_LEN];
    memcpy(next, tstore_view_id(s, 4), UUID_STR_LEN);
    store_remove(s, id);
    ASSERT_STREQ(store_focus_id(s), next);
    ASSERT_EQ(store_focus_index(s), 3);

    /* A filter hiding the focus moves it to the nearest shown flow. */
    struct err e = {0};
    ASSERT_EQ(store_set_filter(s, "~m POST", &e), 0);
    ASSERT(store_view_len(s) > 0);
    ASSERT(store_focus_index(s) >= 0);
    ASSERT(store_focus_id(s) != NULL);
    /* A hidden flow cannot take the focus. */
    long hidden = -1;
    for (size_t i = 0; i < n && hidden < 0; i++)
        if (strcmp(flows[i]->id, id) != 0 && store_view_index(s, flows[i]->id) < 0)
            hidden = (long)i;
    ASSERT(hidden >= 0);
    ASSERT_EQ(store_set_focus(s, flows[hidden]->id), MP_ERR_NOTFOUND);
    ASSERT_EQ(store_set_focus(s, NULL), 0);
    ASSERT_EQ(store_focus_index(s), -1);
    ASSERT(store_focus_id(s) == NULL);

    /* console_focus_follow: every new shown flow takes it. */
    ASSERT_EQ(store_set_filter(s, NULL, &e), 0);
    store_set_focus_follow(s, 1);
    struct flow *d = flow_copy(flows[0]);
    d->timestamp_created += 1e6;
    store_add(s, d);
    ASSERT_STREQ(store_focus_id(s), d->id);
    flow_unref(d);

    /* An empty view has no focus. */
    store_clear(s);
    ASSERT_EQ(store_focus_index(s), -1);
    store_focus_next(s);
    store_focus_go(s, 0);
    ASSERT_EQ(store_focus_index(s), -1);
    tflows_free(flows, n);
    shadow_clear(&sh);
    store_free(s);
}

TEST(store_subscribers_come_and_go)
{
    struct store *s = tstore_new(NULL);
    struct trec a = {0}, b = {0};
    int ha = store_subscribe(s, trec_cb, &a);
    int hb = store_subscribe(s, trec_cb, &b);
    ASSERT(ha != hb);
    struct flow **flows;
    size_t n = tflows_load("get-query.mitm", &flows);
    store_add(s, flows[0]);
    ASSERT_EQ(a.n[STORE_ADD], 1);
    ASSERT_EQ(b.n[STORE_ADD], 1);
    store_unsubscribe(s, ha);
    store_remove(s, flows[0]->id);
    ASSERT_EQ(a.n[STORE_REMOVE], 0);
    ASSERT_EQ(b.n[STORE_REMOVE], 1);
    char want[160];
    /* The list first, then the focus that takes the first flow. */
    snprintf(want, sizeof(want), "add 0 %s\nfocus 0 %s\n", flows[0]->id, flows[0]->id);
    ASSERT_MEMEQ(buf_ptr(&a.log), a.log.len, want, strlen(want));
    tflows_free(flows, n);
    trec_clear(&a);
    trec_clear(&b);
    store_free(s);
}

/* A waiting flow whose client left (the proxy sets client_conn's
 * timestamp_end and raises update) shows so in the list; no other does. */
TEST(store_info_says_a_waiting_flows_client_is_gone)
{
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    struct store *s = tstore_new(NULL);
    struct flow *f = NULL;
    for (size_t i = 0; i < n && f == NULL; i++)
        if (flows[i]->type == FLOW_HTTP && flows[i]->client_conn)
            f = flow_copy(flows[i]);
    ASSERT(f != NULL);
    f->live = 1; /* as the proxy's own */
    f->client_conn->timestamp_end = 0;
    flow_intercept(f);
    ASSERT_EQ(store_add(s, f), 1);
    struct store_info info;
    ASSERT_EQ(store_info(s, f->id, &info), 0);
    ASSERT_EQ(info.intercepted, 1);
    ASSERT_EQ(info.client_gone, 0);

    f->client_conn->timestamp_end = 1700000000.0;
    store_update(s, f);
    ASSERT_EQ(store_info(s, f->id, &info), 0);
    ASSERT_EQ(info.client_gone, 1);

    /* Once it goes on it is an ordinary flow whose client has gone. */
    flow_resume(f);
    store_update(s, f);
    ASSERT_EQ(store_info(s, f->id, &info), 0);
    ASSERT_EQ(info.client_gone, 0);

    /* A flow read from a file that says it was intercepted waits for nobody. */
    struct flow *g = flow_copy(f);
    flow_intercept(g);
    ASSERT_EQ(store_add(s, g), 1);
    ASSERT_EQ(store_info(s, g->id, &info), 0);
    ASSERT_EQ(info.intercepted, 1);
    ASSERT_EQ(info.client_gone, 0);

    flow_unref(g);
    flow_unref(f);
    tflows_free(flows, n);
    store_free(s);
}

/* A copy of an HTTP flow of the fixtures whose every time is t. */
static struct flow *
flow_at(const struct flow *http, double t)
{
    struct flow *f = flow_copy(http);
    f->timestamp_created = t;
    f->request->timestamp_start = f->request->timestamp_end = t;
    if (f->response)
        f->response->timestamp_start = f->response->timestamp_end = t;
    return f;
}

/*
 * Equal keys keep the order the flows came in, as 8.1.1's view puts a new
 * flow after those with its key (bisect_right): by time, by size, and
 * turned around when reversed. Placing a flow is a bisection, and a flow
 * newer than all one look: thousands of flows of one key, or in time
 * order, cost steps of the view's searches in proportion to n log n, or
 * to n, where a walk would be n squared.
 */
TEST(store_equal_keys_keep_their_order_and_an_add_is_a_bisection)
{
    struct store *s = tstore_new(NULL);
    struct flow **flows;
    size_t nf = tflows_load("all.mitm", &flows);
    const struct flow *http = NULL;
    for (size_t i = 0; i < nf && http == NULL; i++)
        if (flows[i]->type == FLOW_HTTP && flows[i]->response)
            http = flows[i];
    ASSERT(http != NULL);
    /* A(1) B(2) C(2), then D(2) goes after C, and E(1) after A. */
    struct flow *v[5] = {flow_at(http, 1), flow_at(http, 2), flow_at(http, 2), flow_at(http, 2),
                         flow_at(http, 1)};
    for (size_t i = 0; i < 5; i++)
        ASSERT_EQ(store_add(s, v[i]), 1);
    static const size_t want[] = {0, 4, 1, 2, 3};
    for (size_t i = 0; i < 5; i++)
        ASSERT_STREQ(tstore_view_id(s, i), v[want[i]]->id);
    struct err e = {0};
    ASSERT_EQ(store_set_order(s, "size", &e), 0);
    for (size_t i = 0; i < 5; i++)
        ASSERT_STREQ(tstore_view_id(s, i), v[i]->id);
    store_set_reversed(s, 1);
    for (size_t i = 0; i < 5; i++)
        ASSERT_STREQ(tstore_view_id(s, i), v[4 - i]->id);
    store_set_reversed(s, 0);
    /* An update that leaves the key as it was leaves the flow in place. */
    store_update(s, v[1]);
    ASSERT_STREQ(tstore_view_id(s, 1), v[1]->id);
    for (size_t i = 0; i < 5; i++)
        flow_unref(v[i]);

    /* 4,000 flows of one key (size), then 4,000 in time order (time). */
    enum { N = 4000 };
    for (int round = 0; round < 2; round++) {
        ASSERT_EQ(store_set_order(s, round ? "time" : "size", &e), 0);
        size_t before = store__view_steps(), len0 = store_view_len(s);
        char first[UUID_STR_LEN], last[UUID_STR_LEN];
        for (int i = 0; i < N; i++) {
            struct flow *f = flow_at(http, round ? 10 + i : 5);
            ASSERT_EQ(store_add(s, f), 1);
            store_update(s, f);
            if (i == 0)
                memcpy(first, f->id, sizeof(first));
            memcpy(last, f->id, sizeof(last));
            flow_unref(f);
        }
        size_t steps = store__view_steps() - before;
        /* An add and an update: two bisections of at most log2(8,006) + 1
         * = 13 steps and a look at the end; in time order the add is only
         * the look at the end. */
        ASSERT(steps <= (size_t)N * (round ? 1 + 15 : 2 * 15));
        ASSERT_STREQ(tstore_view_id(s, round ? len0 : 5), first);
        ASSERT_STREQ(tstore_view_id(s, round ? store_view_len(s) - 1 : 5 + N - 1), last);
    }
    tflows_free(flows, nf);
    store_free(s);
}

/*
 * A file of repeated captures: each copy of a flow lands among the flows
 * of its time, in the middle of the view. What the view moves per add is
 * bounded by its blocks, not by the flows already there: half a block
 * on average, where a flat array moved a quarter of the view per add
 * here, N * N / 4 = 4 * 10^6 slots in all.
 */
TEST(store_add_in_the_middle_moves_at_most_a_block)
{
    struct flow **flows;
    size_t nf = tflows_load("all.mitm", &flows);
    const struct flow *http = NULL;
    for (size_t i = 0; i < nf && http == NULL; i++)
        if (flows[i]->type == FLOW_HTTP)
            http = flows[i];
    ASSERT(http != NULL);
    struct store *s = tstore_new(NULL);
    struct shadow sh = {.s = s};
    store_subscribe(s, shadow_cb, &sh);
    enum { N = 4000 };
    size_t moved0 = s->view.moved;
    for (int i = 0; i < N; i++) {
        struct flow *f = flow_at(http, 1 + i % 100);
        ASSERT_EQ(store_add(s, f), 1);
        flow_unref(f);
    }
    ASSERT(s->view.moved - moved0 <= (size_t)N * VL_BLOCK / 2);
    ASSERT_EQ(store_view_len(s), N);
    shadow_check(&sh);
    struct store_info a, b;
    for (size_t i = 0; i + 1 < N; i += 37) {
        ASSERT_EQ(store_view_info(s, i, &a), 0);
        ASSERT_EQ(store_view_info(s, i + 1, &b), 0);
        ASSERT(a.timestamp_created <= b.timestamp_created);
    }
    tflows_free(flows, nf);
    shadow_clear(&sh);
    store_free(s);
}

/* A copy of http at time t whose bodies are n bytes in all (the size key). */
static struct flow *
flow_sized(const struct flow *http, double t, size_t n)
{
    struct flow *f = flow_at(http, t);
    uint8_t *body = xcalloc(1, n ? n : 1);
    buf_set(&f->request->content, body, 0);
    buf_set(&f->response->content, body, n);
    free(body);
    return f;
}

/* A store ordered by size whose events sh mirrors, and (*http) an HTTP
 * flow with a response from all.mitm to make sized copies of; *flows[0..*nf)
 * are the loaded fixture flows, the caller's to free. */
static struct store *
sized_store(struct shadow *sh, struct flow ***flows, size_t *nf, const struct flow **http)
{
    struct store *s = tstore_new(NULL);
    memset(sh, 0, sizeof(*sh));
    sh->s = s;
    store_subscribe(s, shadow_cb, sh);
    *nf = tflows_load("all.mitm", flows);
    *http = NULL;
    for (size_t i = 0; i < *nf && *http == NULL; i++)
        if ((*flows)[i]->type == FLOW_HTTP && (*flows)[i]->response)
            *http = (*flows)[i];
    ASSERT(*http != NULL);
    struct err e = {0};
    ASSERT_EQ(store_set_order(s, "size", &e), 0);
    return s;
}

/*
 * A flow the store holds can change without an update (the proxy fills
 * in its response, then lets go of it): the sweep that compacts it sees
 * the new key and moves the row, so the view stays in order and finding
 * the row stays a bisection.
 */
TEST(store_sweep_moves_a_row_whose_key_changed)
{
    struct shadow sh;
    struct flow **flows;
    size_t nf;
    const struct flow *http;
    struct store *s = sized_store(&sh, &flows, &nf, &http);
    /* Flows of 10, 20, ... 640 bytes, and one without a body yet. */
    enum { N = 64 };
    struct flow *x = flow_sized(http, 1, 0);
    ASSERT_EQ(store_add(s, x), 1);
    for (size_t i = 1; i <= N; i++) {
        struct flow *f = flow_sized(http, 1 + (double)i, i * 10);
        ASSERT_EQ(store_add(s, f), 1);
        flow_unref(f);
    }
    ASSERT_STREQ(tstore_view_id(s, 0), x->id);
    /* Its response arrives; nobody tells the store, then the proxy lets go. */
    uint8_t body[315] = {0};
    buf_set(&x->response->content, body, sizeof(body));
    char id[UUID_STR_LEN];
    memcpy(id, x->id, sizeof(id));
    flow_unref(x);
    store__sweep(s, s->nrows);
    ASSERT_EQ(s->ncached, 0);
    shadow_check(&sh);
    /* 310 < 315 < 320: after the 31st flow. */
    ASSERT_STREQ(tstore_view_id(s, 31), id);
    struct store_info a, b;
    for (size_t i = 0; i + 1 < store_view_len(s); i++) {
        ASSERT_EQ(store_view_info(s, i, &a), 0);
        ASSERT_EQ(store_view_info(s, i + 1, &b), 0);
        ASSERT(a.size <= b.size);
    }
    /* Found by bisection (log2(65) + 1 steps and a look at the end), not a walk. */
    size_t before = store__view_steps();
    ASSERT_EQ(store_view_index(s, id), 31);
    ASSERT(store__view_steps() - before <= 9);
    tflows_free(flows, nf);
    shadow_clear(&sh);
    store_free(s);
}

/*
 * A flow whose key changes goes after every flow with its new key, as
 * 8.1.1's view removes it and adds it again (bisect_right), whether an
 * update or the sweep saw the change; a refilter puts equal keys back in
 * store order, as 8.1.1's adds every flow again in store order.
 */
TEST(store_a_flow_whose_key_changed_goes_after_its_equals)
{
    struct shadow sh;
    struct flow **flows;
    size_t nf;
    const struct flow *http;
    struct store *s = sized_store(&sh, &flows, &nf, &http);
    struct err e = {0};
    /* X(0) Y(0) B(20) C(20) D(30), in that store order. */
    struct flow *v[5] = {flow_sized(http, 1, 0), flow_sized(http, 2, 0), flow_sized(http, 3, 20),
                         flow_sized(http, 4, 20), flow_sized(http, 5, 30)};
    for (size_t i = 0; i < 5; i++)
        ASSERT_EQ(store_add(s, v[i]), 1);
    /* X's response arrives, with an update: X after B and C. */
    uint8_t body[20] = {0};
    buf_set(&v[0]->response->content, body, sizeof(body));
    store_update(s, v[0]);
    shadow_check(&sh);
    static const size_t want1[] = {1, 2, 3, 0, 4};
    for (size_t i = 0; i < 5; i++)
        ASSERT_STREQ(tstore_view_id(s, i), v[want1[i]]->id);
    /* Y's arrives unannounced and the sweep finds it: Y after X. */
    buf_set(&v[1]->response->content, body, sizeof(body));
    char ids[5][UUID_STR_LEN];
    for (size_t i = 0; i < 5; i++) {
        memcpy(ids[i], v[i]->id, UUID_STR_LEN);
        flow_unref(v[i]);
    }
    store__sweep(s, s->nrows);
    shadow_check(&sh);
    static const size_t want2[] = {2, 3, 0, 1, 4};
    for (size_t i = 0; i < 5; i++) {
        ASSERT_STREQ(tstore_view_id(s, i), ids[want2[i]]);
        ASSERT_EQ(store_view_index(s, ids[want2[i]]), (long)i);
    }
    /* A new flow of that key goes after them all. */
    struct flow *z = flow_sized(http, 6, 20);
    ASSERT_EQ(store_add(s, z), 1);
    ASSERT_STREQ(tstore_view_id(s, 4), z->id);
    shadow_check(&sh);
    /* A refilter: store order among equal keys. */
    ASSERT_EQ(store_set_filter(s, "~q", &e), 0);
    ASSERT_EQ(store_set_filter(s, "", &e), 0);
    shadow_check(&sh);
    static const size_t want3[] = {0, 1, 2, 3};
    for (size_t i = 0; i < 4; i++)
        ASSERT_STREQ(tstore_view_id(s, i), ids[want3[i]]);
    ASSERT_STREQ(tstore_view_id(s, 4), z->id);
    ASSERT_STREQ(tstore_view_id(s, 5), ids[4]);
    flow_unref(z);
    tflows_free(flows, nf);
    shadow_clear(&sh);
    store_free(s);
}

/* What 8.1.1's flow list shows of dns.mitm's three flows, as the row holds it. */
static void
dns_rows_check(struct store *s)
{
    static const struct {
        const char *name, *type, *answers;
        int rcode;
    } want[] = {
        {"example.test", "A", "127.0.0.1", 0},
        {"www.example.test", "AAAA", "::1", 0},
        {"missing.invalid", "A", "", 3},
    };
    ASSERT_EQ(store_view_len(s), 3);
    for (size_t i = 0; i < 3; i++) {
        struct store_info in;
        ASSERT_EQ(store_view_info(s, i, &in), 0);
        ASSERT_EQ(in.type, FLOW_DNS);
        ASSERT_STREQ(in.method, "QUERY");
        ASSERT_STREQ(in.path, want[i].name);
        ASSERT_STREQ(in.http_version, want[i].type);
        ASSERT(in.has_response);
        ASSERT_STREQ(in.reason, want[i].answers);
        ASSERT_EQ(in.status_code, want[i].rcode);
        /* 20:21:14 UTC, answered in 2 to 3 ms. */
        ASSERT((long)in.request_timestamp_start % 86400 == 20 * 3600 + 21 * 60 + 14);
        double dur = in.response_timestamp_start - in.request_timestamp_start;
        ASSERT(dur > 0.0015 && dur < 0.0035);
    }
}

static void
dns_load_done(void *arg, int rc, size_t n, const struct err *e)
{
    int *flag = arg;
    *flag = rc == 0 ? (int)n + 1 : rc;
}

TEST(store_dns_rows_hold_the_question_answers_code_and_times)
{
    /* From the flows of a file (their messages as the file has them). */
    struct store *s = tstore_new(NULL);
    struct flow **flows;
    size_t nf = tflows_load("dns.mitm", &flows);
    ASSERT_EQ(nf, 3);
    for (size_t i = 0; i < nf; i++)
        ASSERT_EQ(store_add(s, flows[i]), 1);
    dns_rows_check(s);
    /* Compacted: the row alone has it. */
    tflows_free(flows, nf);
    store__sweep(s, s->nrows);
    dns_rows_check(s);
    store_free(s);

    /* Read by the loader's fast path. */
    struct tloop *q = tloop_new();
    struct store_config cfg = {.threads = 1, .post = tloop_post, .post_ctx = q};
    s = tstore_new(&cfg);
    int done = 0;
    struct err e = {0};
    ASSERT_EQ(store_load(s, test_fixture("flows/dns.mitm"), dns_load_done, &done, &e), 0);
    tloop_run_until(q, &done);
    ASSERT_EQ(done, 4);
    dns_rows_check(s);
    store_free(s);
    tloop_free(q);

    /* Live: the messages only, no file's trees; the answer changed, then gone. */
    s = tstore_new(NULL);
    nf = tflows_load("dns.mitm", &flows);
    for (size_t i = 0; i < nf; i++) {
        if (flows[i]->dns_request == NULL)
            ASSERT_EQ(ffile_load_dns(flows[i]->extra, flows[i], &e), 0);
        tns_free(flows[i]->extra);
        flows[i]->extra = NULL;
        ASSERT_EQ(store_add(s, flows[i]), 1);
    }
    dns_rows_check(s);
    struct dns_message *rs = flows[0]->dns_response;
    rs->response_code = 2;
    static const uint8_t three[] = {0x7f, 0, 0}; /* not an A record's data any more */
    buf_set(&rs->answers.v[0].data, three, sizeof(three));
    store_update(s, flows[0]);
    struct store_info in;
    ASSERT_EQ(store_view_info(s, 0, &in), 0);
    ASSERT_STREQ(in.reason, "0x7f0000 (invalid A data)");
    ASSERT_EQ(in.status_code, 2);
    dns_message_free(flows[0]->dns_response);
    flows[0]->dns_response = NULL;
    store_update(s, flows[0]);
    ASSERT_EQ(store_view_info(s, 0, &in), 0);
    ASSERT(!in.has_response);
    ASSERT_STREQ(in.path, "example.test");
    tflows_free(flows, nf);
    store_free(s);
}
