/*
 * Content-view benchmark (not a test: nothing here fails on time). Prints,
 * per row, the best and median wall time of rendering a body completely
 * (or its first page) into fresh lines, over several runs, and the best CPU
 * time of the same into lines reused from the run before (a UI's case,
 * and the figure without the page faults of fresh memory):
 *
 *   json 1 MB      a 1 MB JSON document pretty-printed (target: <= 10 ms)
 *   json 1 MB/auto the same through Auto with application/json (GraphQL's
 *                  check reads it first, as in 8.1.1)
 *   xml, js, css   1 MB of each
 *   hex/raw page   the first 100 lines of a 100 MB body
 *   json page      the first 100 lines of a 100 MB JSON body, read in
 *                  1 MB budgets (the time until the first line)
 *
 * Paged rows also print their longest single cv_render_step() (CPU time):
 * what one loop turn of a UI paging that body would be held for.
 *
 * Build and run: tests/contentviews/bench/run.sh (after `make`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contentviews/cv.h"

static double
clock_ms(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A JSON document of about n bytes: records of strings, numbers, lists. */
static void
make_json(struct buf *b, size_t n)
{
    buf_append_str(b, "{\"items\": [");
    for (unsigned i = 0; b->len < n; i++) {
        buf_printf(b,
                   "%s{\"id\": %u, \"name\": \"item number %u\", \"price\": %u.%02u, "
                   "\"tags\": [\"a\", \"b\", \"caf\\u00e9\"], \"ok\": %s, \"note\": null, "
                   "\"nested\": {\"x\": %u, \"y\": [1, 2, 3]}}",
                   i ? ", " : "", i, i, i % 1000, i % 100, i % 2 ? "true" : "false", i * 7);
    }
    buf_append_str(b, "], \"count\": 1}");
}

static void
make_xml(struct buf *b, size_t n)
{
    buf_append_str(b, "<?xml version=\"1.0\"?>\n<feed>");
    for (unsigned i = 0; b->len < n; i++)
        buf_printf(b,
                   "<entry id=\"%u\"><title>Entry %u</title><p>text <b>bold</b></p><br/></entry>",
                   i, i);
    buf_append_str(b, "</feed>");
}

static void
make_js(struct buf *b, size_t n)
{
    for (unsigned i = 0; b->len < n; i++)
        buf_printf(b, "function f%u(a){if(a>%u){return \"s{%u};\";}else{x=/r{1}/g;}}var v%u={a:1};",
                   i, i, i, i);
}

static void
make_css(struct buf *b, size_t n)
{
    for (unsigned i = 0; b->len < n; i++)
        buf_printf(b, ".c%u a:hover,.c%u b{color:red;margin:0 %upx;background:url(\"x%u.png\")}", i,
                   i, i % 50, i);
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Renders body (copied each run) with view; lines 0 means all of them. */
/* The longest single cv_render_step() of the last paged run, in ms. */
static double longest_step;

static double
run(enum cv_view view, const char *ctype, const struct buf *body, size_t lines, size_t budget,
    struct cv_lines *l, clockid_t clock, size_t *nlines)
{
    struct buf b = BUF_INIT;
    buf_append(&b, buf_ptr(body), body->len);
    struct cv_meta m = {.content_type = ctype};
    double t0 = clock_ms(clock);
    struct cv_render *r = cv_render_new(view, &b, &m);
    if (budget) {
        longest_step = 0;
        for (int more = 1; more && l->n < lines;) {
            double s0 = clock_ms(clock);
            more = cv_render_step(r, l, lines - l->n, budget);
            double s = clock_ms(clock) - s0;
            longest_step = s > longest_step ? s : longest_step;
        }
    } else {
        cv_render_all(r, l, lines);
    }
    double t = clock_ms(clock) - t0;
    *nlines = l->n;
    cv_render_free(r);
    return t;
}

static void
row(const char *name, enum cv_view view, const char *ctype, const struct buf *body, size_t lines,
    size_t budget, int runs)
{
    double t[64], cpu = 1e9;
    size_t nlines = 0;
    for (int k = 0; k < runs; k++) {
        struct cv_lines l = CV_LINES_INIT;
        t[k] = run(view, ctype, body, lines, budget, &l, CLOCK_MONOTONIC, &nlines);
        cv_lines_clear(&l);
    }
    struct cv_lines reused = CV_LINES_INIT;
    for (int k = 0; k < runs; k++) {
        cv_lines_reset(&reused);
        double c =
            run(view, ctype, body, lines, budget, &reused, CLOCK_PROCESS_CPUTIME_ID, &nlines);
        cpu = c < cpu ? c : cpu;
    }
    cv_lines_clear(&reused);
    qsort(t, (size_t)runs, sizeof(t[0]), cmp);
    printf("%-15s %8.1f KB %8zu lines  wall best %8.2f ms  median %8.2f ms  cpu (reused) %8.2f ms",
           name, body->len / 1024.0, nlines, t[0], t[runs / 2], cpu);
    if (budget)
        printf("  longest step %6.2f ms", longest_step);
    printf("\n");
}

int
main(void)
{
    struct buf json = BUF_INIT, xml = BUF_INIT, js = BUF_INIT, css = BUF_INIT, big = BUF_INIT,
               bigjson = BUF_INIT;
    make_json(&json, 1 << 20);
    make_xml(&xml, 1 << 20);
    make_js(&js, 1 << 20);
    make_css(&css, 1 << 20);
    make_json(&bigjson, 100u << 20);
    buf_reserve(&big, 100u << 20);
    for (size_t i = 0; i < (100u << 20); i++)
        big.data[i] = (uint8_t)(i * 2654435761u >> 24);
    big.len = 100u << 20;

    row("json 1 MB", CV_VIEW_JSON, "application/json", &json, 0, 0, 21);
    row("json 1 MB/auto", CV_VIEW_AUTO, "application/json", &json, 0, 0, 21);
    row("xml 1 MB", CV_VIEW_XML_HTML, "text/xml", &xml, 0, 0, 5);
    row("js 1 MB", CV_VIEW_JAVASCRIPT, NULL, &js, 0, 0, 5);
    row("css 1 MB", CV_VIEW_CSS, NULL, &css, 0, 0, 5);
    row("hex page", CV_VIEW_AUTO, "video/mp4", &big, 100, 1 << 20, 5);
    row("raw page", CV_VIEW_RAW, NULL, &big, 100, 1 << 20, 5);
    row("json page", CV_VIEW_JSON, NULL, &bigjson, 100, 1 << 20, 3);
    buf_clear(&json);
    buf_clear(&xml);
    buf_clear(&js);
    buf_clear(&css);
    buf_clear(&big);
    buf_clear(&bigjson);
    return 0;
}
