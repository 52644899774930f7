/*
 * The console's responsiveness without a terminal (bench/console.sh builds
 * it against build/libmitm.a): a master with the flow store and the console,
 * N flows in the store (default 1,000,000), then keys pressed one at a time,
 * each followed by the layout of a 200x50 screen, which is what a key costs
 * the console before ncurses sends the changed cells. Between keys, 5,000
 * new flows arrive per simulated second (50 per key at 100 keys a second).
 * Prints one JSON line: the time to add the flows, and p50, p99 and max of a
 * key's handling plus layout, per key.
 *
 *   console_bench [NFLOWS]
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
    buf_append_str(&f->response->content, "{\"ok\": true}");
    f->response->timestamp_start = f->request->timestamp_start + 0.02;
    f->response->timestamp_end = f->request->timestamp_start + 0.025;
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
    size_t nt = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t k = 0; k < NKEYS; k++) {
            /* 5,000 flows a second, 100 keys a second: 50 arrive per key. */
            for (int a = 0; a < 50; a++, next++) {
                struct flow *f = http_flow(next);
                store_add(s, f);
                flow_unref(f);
            }
            double k0 = now();
            console__press(c, keys[k]);
            console__layout(c, 50, 200);
            t[nt++] = now() - k0;
        }
    }
    qsort(t, nt, sizeof(*t), cmp);
    printf("{\"flows\": %lu, \"add_s\": %.2f, \"keys\": %zu, \"key_p50_ms\": %.3f, "
           "\"key_p99_ms\": %.3f, \"key_max_ms\": %.3f}\n",
           n, added, nt, t[nt / 2] * 1e3, t[nt * 99 / 100] * 1e3, t[nt - 1] * 1e3);
    free(t);
    console_free(c);
    master_free(m);
    return 0;
}
