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
 * while it opens (enter, the Response tab), scrolls (page down), shows all
 * of it (f and G, whose rendering goes on over redraws as ui.c's timer runs
 * them) and, opened anew with the cutoff back, is searched with / for its
 * last line (the slices going on over redraws where the console has
 * console__search_poll; before it, / did everything in its key). Each step
 * is what one loop callback does: a key and its layout, or one redraw (a
 * layout and a slice). That longest step is the longest keys wait; each is
 * given in wall-clock and in CPU time of the loop's thread.
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

/* The flow view's search a slice at a time, where the console has it
 * (weak: the bench also builds against consoles from before it). */
int console__search_poll(struct console *);
#pragma weak console__search_poll

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

/* A flow with a text body of mb megabytes, in lines of about 80 bytes;
 * *last is the number that starts its last line. */
static struct flow *
big_flow(unsigned long i, unsigned mb, unsigned long *last)
{
    struct flow *f = http_flow(i);
    buf_reset(&f->response->content);
    hdrs_set_cstr(&f->response->headers, "Content-Type", "text/plain");
    size_t want = (size_t)mb << 20;
    buf_reserve(&f->response->content, want + 128);
    for (unsigned long l = 0; f->response->content.len < want; l++) {
        buf_printf(&f->response->content,
                   "%010lu lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do\n", l);
        *last = l;
    }
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
    unsigned long last_line = 0;
    struct flow *big = big_flow(next++, body_mb, &last_line);
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
    /* The longest step of each phase, wall-clock and CPU. */
    struct {
        double wall, cpu;
    } open_max = {0, 0}, scroll_max = {0, 0}, full_max = {0, 0}, find_max = {0, 0};
#define STEP(max, code)                                                                            \
    do {                                                                                           \
        double w0_ = now(), c0_ = cpu_now();                                                       \
        code;                                                                                      \
        double w_ = now() - w0_, c_ = cpu_now() - c0_;                                             \
        (max).wall = w_ > (max).wall ? w_ : (max).wall;                                            \
        (max).cpu = c_ > (max).cpu ? c_ : (max).cpu;                                               \
    } while (0)
    double b0 = now();
    store_set_focus(s, big_id);
    static const char *const open_keys[] = {"enter", "tab"};
    for (size_t k = 0; k < 2; k++)
        STEP(open_max, (console__press(c, open_keys[k]), console__layout(c, 50, 200)));
    double opened = now() - b0;
    /* Page down through the first screens. */
    for (int k = 0; k < 20; k++)
        STEP(scroll_max, (console__press(c, "page down"), console__layout(c, 50, 200)));
    /* f to show past the 512-line cutoff, G to the end of the 100 MB (the
     * redraws that follow until the end is shown: ui.c's on_redraw), g back. */
    int steps = 0;
    double f0 = now(), fc0 = cpu_now();
    for (int k = 0; k < 4; k++) {
        STEP(full_max, (console__press(c, k == 0  ? "f"
                                          : k < 3 ? "G"
                                                  : "g"),
                        console__layout(c, 50, 200)));
        while (c->fv.at_end && c->fv.render && !c->fv.body_done) {
            STEP(full_max, console__layout(c, 50, 200));
            steps++;
        }
    }
    double full_ms = (now() - f0) * 1e3, full_cpu_ms = (cpu_now() - fc0) * 1e3;
    /* The body opened anew, cut at 512 lines again, and / for its last
     * line: the search renders it all. Its slices run a redraw each, as
     * under the loop; the redraw timer stands in, never started. */
    store_set_setting(s, big_id, "fullcontents", "false");
    console__flowview_invalidate(&c->fv);
    console__layout(c, 50, 200);
    char needle[32];
    snprintf(needle, sizeof(needle), "%010lu lorem", last_line);
    int timer;
    c->redraw_timer = &timer;
    c->redraw_pending = 1;
    int slices = 0;
    double s0 = now(), sc0 = cpu_now();
    STEP(find_max, (console__search_set(c, needle), console__layout(c, 50, 200)));
    for (int more = 1; more && console__search_poll; slices++)
        STEP(find_max, (console__layout(c, 50, 200), more = console__search_poll(c)));
    console__layout(c, 50, 200);
    double find_ms = (now() - s0) * 1e3, find_cpu_ms = (cpu_now() - sc0) * 1e3;
    /* Found: the last line, highlighted (shown at the bottom of the screen). */
    int find_ok = c->fv.highlight >= 0 && c->fv.highlight == console__flowview_lines(&c->fv) - 1;
    c->redraw_timer = NULL;
    c->redraw_pending = 0;
#undef STEP
    printf("{\"flows\": %lu, \"add_s\": %.2f, \"keys\": %zu, \"key_p50_ms\": %.3f, "
           "\"key_p99_ms\": %.3f, \"key_max_ms\": %.3f, \"key_cpu_p50_ms\": %.3f, "
           "\"key_cpu_p99_ms\": %.3f, \"key_cpu_max_ms\": %.3f, \"slot_p99_ms\": %.3f, "
           "\"slot_max_ms\": %.3f, \"search_text_ms\": %.1f, \"search_text_hits\": %zu, "
           "\"search_text_slice_max_ms\": %.1f, \"search_text_slice_max_cpu_ms\": %.1f, "
           "\"search_b_ms\": %.1f, \"search_b_hits\": %zu, \"search_b_slice_max_ms\": %.1f, "
           "\"search_b_slice_max_cpu_ms\": %.1f, \"body_mb\": %u, "
           "\"body_store_get_ms\": %.1f, \"body_open_ms\": %.1f, \"body_open_max_step_ms\": %.1f, "
           "\"body_open_max_step_cpu_ms\": %.1f, \"body_scroll_max_step_ms\": %.1f, "
           "\"body_scroll_max_step_cpu_ms\": %.1f, \"body_full_ms\": %.1f, "
           "\"body_full_cpu_ms\": %.1f, \"body_full_max_step_ms\": %.1f, "
           "\"body_full_max_step_cpu_ms\": %.1f, \"body_end_redraws\": %d, "
           "\"body_find_ms\": %.1f, \"body_find_cpu_ms\": %.1f, \"body_find_max_step_ms\": %.1f, "
           "\"body_find_max_step_cpu_ms\": %.1f, \"body_find_slices\": %d, "
           "\"body_find_found\": %d}\n",
           n, added, nt, t[nt / 2] * 1e3, t[nt * 99 / 100] * 1e3, t[nt - 1] * 1e3, tc[nt / 2] * 1e3,
           tc[nt * 99 / 100] * 1e3, tc[nt - 1] * 1e3, slot[nt * 99 / 100] * 1e3, slot[nt - 1] * 1e3,
           search_ms[0], hits[0], slice_max[0], slice_cpu_max[0], search_ms[1], hits[1],
           slice_max[1], slice_cpu_max[1], body_mb, get_ms, opened * 1e3, open_max.wall * 1e3,
           open_max.cpu * 1e3, scroll_max.wall * 1e3, scroll_max.cpu * 1e3, full_ms, full_cpu_ms,
           full_max.wall * 1e3, full_max.cpu * 1e3, steps, find_ms, find_cpu_ms,
           find_max.wall * 1e3, find_max.cpu * 1e3, slices, find_ok);
    free(t);
    free(slot);
    free(tc);
    console_free(c);
    master_free(m);
    return 0;
}
