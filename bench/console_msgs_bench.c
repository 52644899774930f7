/*
 * The TCP Stream and WebSocket Messages tabs under load (bench/console.sh
 * msgs builds it like console_bench.c, against build/libmitm.a, no
 * terminal): a TCP flow of MB megabytes (messages of 64 KB, four at a time
 * one way, text lines of about 80 bytes) and a WebSocket flow of NMSG
 * messages of about 60 bytes. Each is opened (enter, and tab to its
 * messages), then G shows its end, the redraws that follow going on until
 * the last line is there (ui.c's on_redraw). Each step is what one loop
 * callback does: a key and its layout, or one redraw. Prints one JSON
 * line: per flow, the longest step in wall-clock and in CPU time of the
 * loop's thread (what a key pressed meanwhile waits for), the whole, and
 * the steps taken; and q, which leaves the flow, with the redraws after
 * it that free its lines (*_leave_*: the longest step, the whole CPU, the
 * steps; a tree from before the sliced freeing does it all in the key).
 *
 *   console_msgs_bench [MB] [NMSG]       defaults 100 and 100000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addons/intercept.h"
#include "console/console.h"
#include "console/internal.h"
#include "flow/flow.h"
#include "http/message.h"
#include "http/ws.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"

static double
now(int cpu)
{
    struct timespec ts;
    clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct phase {
    double max_wall, max_cpu, wall, cpu;
    int steps;
};

static void
step(struct phase *p, struct console *c, const char *key)
{
    double w0 = now(0), c0 = now(1);
    if (key)
        console__press(c, key);
    console__layout(c, 50, 200);
    double w = now(0) - w0, u = now(1) - c0;
    p->max_wall = w > p->max_wall ? w : p->max_wall;
    p->max_cpu = u > p->max_cpu ? u : p->max_cpu;
    p->wall += w;
    p->cpu += u;
    p->steps++;
}

/* Opens the focused flow on its messages tab, then G to the end. */
static void
walk(struct console *c, int tabs, struct phase *open, struct phase *end, struct phase *leave)
{
    step(open, c, "enter");
    for (int i = 0; i < tabs; i++)
        step(open, c, "tab");
    step(end, c, "G");
    while (c->fv.at_end && !c->fv.body_done)
        step(end, c, NULL);
    step(leave, c, "q");
#ifdef FV_REAP_MIN
    /* The redraws that follow (ui.c's on_redraw) free the lines left a
     * slice each. */
    while (c->fv.ndead) {
        double w0 = now(0), c0 = now(1);
        console__layout(c, 50, 200);
        console__flowview_reap(&c->fv, FV_REAP_SLICE_US);
        double w = now(0) - w0, u = now(1) - c0;
        leave->max_wall = w > leave->max_wall ? w : leave->max_wall;
        leave->max_cpu = u > leave->max_cpu ? u : leave->max_cpu;
        leave->wall += w;
        leave->cpu += u;
        leave->steps++;
    }
#endif
}

int
main(int argc, char **argv)
{
    unsigned mb = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100;
    unsigned long nmsg = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
    struct err e = {0};
    log_set_level(LOG_ERROR);
    if (console_register_options(&e) < 0)
        return 1;
    struct options *o = opt_new();
    opt_set_arg(o, "server=false", &e);
    opt_set_arg(o, "keepserving=true", &e);
    struct master *m = master_new(o);
    master_add_addon(m, addon_intercept_new());
    struct store *s = master_enable_store(m, &e);
    struct console *c = console_new(m, s);
    master_add_addon(m, console_addon(c));
    if (s == NULL || master_configure(m, &e) < 0) {
        fprintf(stderr, "console_msgs_bench: %s\n", e.msg);
        return 1;
    }

    /* The TCP flow, held here so that the store keeps it as it is. */
    struct flow *tcp = flow_new_tcp(NULL, NULL);
    tcp->live = 0;
    struct buf chunk = BUF_INIT;
    size_t total = 0;
    for (unsigned long l = 0, k = 0; total < (size_t)mb << 20; k++) {
        buf_reset(&chunk);
        while (chunk.len < 64 * 1024 - 80)
            buf_printf(&chunk, "%010lu lorem ipsum dolor sit amet, consectetur adipiscing elit\n",
                       l++);
        flow_tcp_add_message(tcp, (k / 4) % 2 == 0, buf_ptr(&chunk), chunk.len);
        total += chunk.len;
    }
    buf_clear(&chunk);
    store_add(s, tcp);
    store_set_focus(s, tcp->id);
    struct phase tcp_open = {0}, tcp_end = {0}, tcp_leave = {0};
    walk(c, 0, &tcp_open, &tcp_end, &tcp_leave);

    /* The WebSocket flow. */
    struct flow *ws = flow_new_http(NULL, NULL);
    ws->live = 0;
    ws->request = http_request_new();
    http_set_str(&ws->request->method, "GET");
    http_set_str(&ws->request->scheme, "http");
    http_set_str(&ws->request->host, "example.com");
    http_set_str(&ws->request->path, "/chat");
    http_set_str(&ws->request->http_version, "HTTP/1.1");
    ws->request->port = 80;
    ws->response = http_response_new();
    ws->response->status_code = 101;
    http_set_str(&ws->response->http_version, "HTTP/1.1");
    for (unsigned long i = 0; i < nmsg; i++) {
        char msg[96];
        int n = snprintf(msg, sizeof(msg), "{\"seq\": %lu, \"text\": \"hello from the %s\"}", i,
                         i % 2 ? "server" : "client");
        flow_ws_add_message(ws, WS_TEXT, i % 2 == 0, msg, (size_t)n);
    }
    store_add(s, ws);
    store_set_focus(s, ws->id);
    struct phase ws_open = {0}, ws_end = {0}, ws_leave = {0};
    walk(c, 2, &ws_open, &ws_end, &ws_leave);

    printf("{\"tcp_mb\": %u, \"tcp_open_max_step_ms\": %.1f, \"tcp_open_max_step_cpu_ms\": %.1f, "
           "\"tcp_end_max_step_ms\": %.1f, \"tcp_end_max_step_cpu_ms\": %.1f, "
           "\"tcp_end_cpu_ms\": %.1f, \"tcp_end_steps\": %d, \"tcp_leave_cpu_ms\": %.1f, "
           "\"tcp_leave_max_step_ms\": %.1f, \"tcp_leave_total_cpu_ms\": %.1f, "
           "\"tcp_leave_steps\": %d, \"ws_messages\": %lu, "
           "\"ws_open_max_step_ms\": %.1f, \"ws_open_max_step_cpu_ms\": %.1f, "
           "\"ws_end_max_step_ms\": %.1f, \"ws_end_max_step_cpu_ms\": %.1f, "
           "\"ws_end_cpu_ms\": %.1f, \"ws_end_steps\": %d, \"ws_leave_cpu_ms\": %.1f, "
           "\"ws_leave_max_step_ms\": %.1f, \"ws_leave_total_cpu_ms\": %.1f, "
           "\"ws_leave_steps\": %d}\n",
           mb, tcp_open.max_wall * 1e3, tcp_open.max_cpu * 1e3, tcp_end.max_wall * 1e3,
           tcp_end.max_cpu * 1e3, tcp_end.cpu * 1e3, tcp_end.steps, tcp_leave.max_cpu * 1e3,
           tcp_leave.max_wall * 1e3, tcp_leave.cpu * 1e3, tcp_leave.steps, nmsg,
           ws_open.max_wall * 1e3, ws_open.max_cpu * 1e3, ws_end.max_wall * 1e3,
           ws_end.max_cpu * 1e3, ws_end.cpu * 1e3, ws_end.steps, ws_leave.max_cpu * 1e3,
           ws_leave.max_wall * 1e3, ws_leave.cpu * 1e3, ws_leave.steps);
    flow_unref(tcp);
    flow_unref(ws);
    console_free(c);
    master_free(m);
    return 0;
}
