/*
 * The console's responsiveness without a terminal (bench/console.sh builds
 * it against build/libmitm.a): a master with the flow store and the console,
 * N flows in the store (default 1,000,000), then keys pressed one at a time,
 * each followed by the layout of a 200x50 screen, which is what a key costs
 * the console before ncurses sends the changed cells. Between keys, 5,000
 * new flows arrive per simulated second (50 per key at 100 keys a second).
 * Prints one JSON line: the time to add the flows, and p50, p99 and max of a
 * key's handling plus layout, per key; the same for a whole 10 ms slot of
 * the loop (the 50 flows arriving, then the key and its layout).
 *
 * Then the search across every flow (console.search.all): plain text (URL,
 * headers and bodies) and a ~b filter, run a slice per redraw as under the
 * loop: the whole search, and the longest slice with its layout (what a
 * key pressed meanwhile waits for). One flow in 1,000 holds the text.
 *
 * Then a flow with a 100 MB body: the longest the loop is held by one step
 * while it opens (enter, the Response tab) and scrolls (page down, then f
 * and G, whose rendering goes on over redraws as ui.c's timer runs them), each
 * step being what one loop callback does: a key and its layout, or one
 * redraw. That longest step is the longest keys wait.
 *
 *   console_bench [NFLOWS] [BODY_MB]       defaults 1000000 and 100
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addons/intercept.h"
#include "console/console.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU time of this thread: what the loop's thread spent, without the
 * time a loaded machine gave to other processes (wall-clock figures on
 * two shared cores are mostly that). */
static double
cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct flow *
http_flow(unsigned long i)
{
    char path[64];
    snprintf(path, sizeof(path), "/item/%lu?page=%lu", i, i % 97);
    struct flow *f = flow_new_http(NULL, NULL);
    f->live = 0;
    f->request = http_request_new();
    http_set_str(&f->request->method, i % 5 ? "GET" : "POST");
    http_set_str(&f->request->scheme, "https");
    http_set_str(&f->request->host, "api.example.com");
    f->request->port = 443;
    http_set_str(&f->request->path, path);
    http_set_str(&f->request->http_version, "HTTP/1.1");
    hdrs_add_cstr(&f->request->headers, "Host", "api.example.com");
    f->request->timestamp_start = 1796500718.5 + (double)i / 1000;
    f->request->timestamp_end = f->request->timestamp_start + 0.001;
    f->response = http_response_new();
    f->response->status_code = i % 11 ? 200 : 404;
    http_set_str(&f->response->reason, "OK");
    http_set_str(&f->response->http_version, "HTTP/1.1");
    hdrs_add_cstr(&f->response->headers, "Content-Type", "application/json");
    buf_append_str(&f->response->content,
                   i % 1000 == 7 ? "{\"ok\": true, \"needle\": 1}" : "{\"ok\": true}");
    f->response->timestamp_start = f->request->timestamp_start + 0.02;
    f->response->timestamp_end = f->request->timestamp_start + 0.025;
    return f;
}

/* A flow with a text body of mb megabytes, in lines of about 80 bytes. */
static struct flow *
big_flow(unsigned long i, unsigned mb)
{
    struct flow *f = http_flow(i);
    buf_reset(&f->response->content);
    hdrs_set_cstr(&f->response->headers, "Content-Type", "text/plain");
    size_t want = (size_t)mb << 20;
    buf_reserve(&f->response->content, want + 128);
    for (unsigned long l = 0; f->response->content.len < want; l++)
        buf_printf(&f->response->content,
                   "%010lu lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do\n", l);
    return f;
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    unsigned body_mb = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100;
    struct err e = {0};
    log_set_level(LOG_ERROR);
    if (console_register_options(&e) < 0)
        return 1;
    struct addon *icept = addon_intercept_new();
    struct options *o = opt_new();
    opt_set_arg(o, "server=false", &e);
    opt_set_arg(o, "keepserving=true", &e);
    struct master *m = master_new(o);
    master_add_addon(m, icept);
    struct store *s = master_enable_store(m, &e);
    struct console *c = console_new(m, s);
    master_add_addon(m, console_addon(c));
    if (s == NULL || master_configure(m, &e) < 0) {
        fprintf(stderr, "console_bench: %s\n", e.msg);
        return 1;
    }
    double t0 = now();
    unsigned long next = 0;
    for (; next < n; next++) {
        struct flow *f = http_flow(next);
        store_add(s, f);
        flow_unref(f);
    }
    double added = now() - t0;
    console__layout(c, 50, 200);

    static const char *const keys[] = {"j", "j", "k",   "page down", "G",    "page up", "k",
                                       "g", "j", "end", "up",        "home", "down"};
    enum { ROUNDS = 40, NKEYS = sizeof(keys) / sizeof(keys[0]) };
    double *t = calloc(ROUNDS * NKEYS, sizeof(*t));
    double *slot = calloc(ROUNDS * NKEYS, sizeof(*slot));
    double *tc = calloc(ROUNDS * NKEYS, sizeof(*tc));
    size_t nt = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t k = 0; k < NKEYS; k++) {
            /* 5,000 flows a second, 100 keys a second: 50 arrive per key. */
            double s0 = now();
            for (int a = 0; a < 50; a++, next++) {
                struct flow *f = http_flow(next);
                store_add(s, f);
                flow_unref(f);
            }
            double k0 = now(), c0 = cpu_now();
            console__press(c, keys[k]);
            console__layout(c, 50, 200);
            t[nt] = now() - k0;
            tc[nt] = cpu_now() - c0;
            slot[nt++] = now() - s0;
        }
    }
    qsort(t, nt, sizeof(*t), cmp);
    qsort(slot, nt, sizeof(*slot), cmp);
    qsort(tc, nt, sizeof(*tc), cmp);

    /* The search across every flow, from the flow list. */
    static const char *const terms[] = {"needle", "~b needle"};
    double search_ms[2], slice_max[2] = {0, 0}, slice_cpu_max[2] = {0, 0};
    size_t hits[2];
    for (int q = 0; q < 2; q++) {
        /* As under the loop: the search runs a slice per redraw (each
         * slice plus its layout is what a key may wait for). The redraw
         * timer stands in, never started. */
        int timer;
        c->redraw_timer = &timer;
        c->redraw_pending = 1;
        double q0 = now();
        if (console__search_all(c, terms[q], &e) < 0) {
            fprintf(stderr, "console_bench: %s\n", e.msg);
            return 1;
        }
        int more = 1;
        while (more) {
            double s0 = now(), c0 = cpu_now();
            console__layout(c, 50, 200);
            more = console__search_all_poll(c);
            double d = (now() - s0) * 1e3, dc = (cpu_now() - c0) * 1e3;
            slice_max[q] = d > slice_max[q] ? d : slice_max[q];
            slice_cpu_max[q] = dc > slice_cpu_max[q] ? dc : slice_cpu_max[q];
        }
        console__layout(c, 50, 200);
        search_ms[q] = (now() - q0) * 1e3;
        hits[q] = console__search_all_count(c);
        console__pop(c);
        c->redraw_timer = NULL;
        c->redraw_pending = 0;
    }

    /* The big body: added last, focused, opened, scrolled. */
    struct flow *big = big_flow(next++, body_mb);
    char big_id[64];
    snprintf(big_id, sizeof(big_id), "%s", big->id);
    store_add(s, big);
    flow_unref(big);
    /* What reading it back from the store costs, apart from the view. */
    for (int a = 0; a < 50; a++, next++) {
        struct flow *f = http_flow(next);
        store_add(s, f);
        flow_unref(f);
    }
    double g0 = now();
    flow_unref(store_get(s, big_id, NULL));
    double get_ms = (now() - g0) * 1e3;
    double b0 = now(), open_max = 0, scroll_max = 0;
    store_set_focus(s, big_id);
    static const char *const open_keys[] = {"enter", "tab"};
    for (size_t k = 0; k < 2; k++) {
        double k0 = now();
        console__press(c, open_keys[k]);
        console__layout(c, 50, 200);
        double d = now() - k0;
        open_max = d > open_max ? d : open_max;
    }
    double opened = now() - b0;
    int steps = 0;
    /* Page down through the first screens, f to show past the 512-line
     * cutoff, G to the end of the 100 MB, g back. */
    for (int k = 0; k < 24; k++) {
        double k0 = now();
        console__press(c, k < 20 ? "page down" : k == 20 ? "f" : k < 23 ? "G" : "g");
        console__layout(c, 50, 200);
        double d = now() - k0;
        scroll_max = d > scroll_max ? d : scroll_max;
        /* G: the redraws that follow until the end is shown (ui.c's on_redraw). */
        while (c->fv.at_end && c->fv.render && !c->fv.body_done) {
            k0 = now();
            console__layout(c, 50, 200);
            d = now() - k0;
            scroll_max = d > scroll_max ? d : scroll_max;
            steps++;
        }
    }
    printf("{\"flows\": %lu, \"add_s\": %.2f, \"keys\": %zu, \"key_p50_ms\": %.3f, "
           "\"key_p99_ms\": %.3f, \"key_max_ms\": %.3f, \"key_cpu_p50_ms\": %.3f, "
           "\"key_cpu_p99_ms\": %.3f, \"key_cpu_max_ms\": %.3f, \"slot_p99_ms\": %.3f, "
           "\"slot_max_ms\": %.3f, \"search_text_ms\": %.1f, \"search_text_hits\": %zu, "
           "\"search_text_slice_max_ms\": %.1f, \"search_text_slice_max_cpu_ms\": %.1f, "
           "\"search_b_ms\": %.1f, \"search_b_hits\": %zu, \"search_b_slice_max_ms\": %.1f, "
           "\"search_b_slice_max_cpu_ms\": %.1f, \"body_mb\": %u, "
           "\"body_store_get_ms\": %.1f, \"body_open_ms\": %.1f, \"body_open_max_step_ms\": %.1f, "
           "\"body_scroll_max_step_ms\": %.1f, \"body_end_redraws\": %d}\n",
           n, added, nt, t[nt / 2] * 1e3, t[nt * 99 / 100] * 1e3, t[nt - 1] * 1e3, tc[nt / 2] * 1e3,
           tc[nt * 99 / 100] * 1e3, tc[nt - 1] * 1e3, slot[nt * 99 / 100] * 1e3, slot[nt - 1] * 1e3,
           search_ms[0], hits[0], slice_max[0], slice_cpu_max[0], search_ms[1], hits[1],
           slice_max[1], slice_cpu_max[1], body_mb, get_ms, opened * 1e3, open_max * 1e3,
           scroll_max * 1e3, steps);
    free(t);
    free(slot);
    free(tc);
    console_free(c);
    master_free(m);
    return 0;
}
