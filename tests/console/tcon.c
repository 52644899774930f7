/* Helpers for the console's tests (tcon.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/test.h"
#include "../lib/tflow.h"
#include "addons/intercept.h"
#include "console/console.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "http/message.h"
#include "options/opt.h"
#include "tcon.h"
#include "util/log.h"

void
tcon_start(struct tcon *t, ...)
{
    struct err e = {0};
    ASSERT_EQ(console_register_options(&e), 0);
    log_set_level(LOG_ERROR);
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    va_list ap;
    va_start(ap, t);
    for (const char *set; (set = va_arg(ap, const char *)) != NULL;)
        ASSERT_EQ(opt_set_arg(o, set, &e), 0);
    va_end(ap);
    t->m = master_new(o);
    master_add_addon(t->m, addon_intercept_new());
    t->s = master_enable_store(t->m, &e);
    ASSERT(t->s != NULL);
    t->c = console_new(t->m, t->s);
    master_add_addon(t->m, console_addon(t->c));
    if (master_configure(t->m, &e) < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
}

void
tcon_stop(struct tcon *t)
{
    console_free(t->c);
    master_free(t->m);
}

struct flow *
tcon_flow(const char *method, const char *path, int status)
{
    return tflow_http(method, path, status);
}

struct flow *
tcon_lines_flow(int n, int a, int b)
{
    struct flow *f = tcon_flow("GET", "/", 200);
    hdrs_add_cstr(&f->response->headers, "Content-Type", "text/plain");
    for (int i = 0; i < n; i++)
        buf_printf(&f->response->content, i == a || i == b ? "needle %d\n" : "line %d\n", i);
    return f;
}

void
tcon_open_response(struct tcon *t, struct flow *f, int rows, int cols)
{
    store_add(t->s, f);
    flow_unref(f);
    tcon_keys(t->c, "enter", "tab", NULL);
    console__layout(t->c, rows, cols);
}

void
tcon_keys(struct console *c, ...)
{
    va_list ap;
    va_start(ap, c);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;)
        console__press(c, k);
    va_end(ap);
}

void
tcon_type(struct console *c, const char *text)
{
    for (const char *p = text; *p; p++) {
        char k[2] = {*p, 0};
        console__press(c, *p == ' ' ? "space" : k);
    }
}

const char *
tcon_line(struct console *c, int i)
{
    return console__line_text(&c->scr.lines[i]);
}

int
tcon_row_of(struct console *c, const char *text)
{
    for (int i = 0; i < c->scr.rows; i++)
        if (strstr(tcon_line(c, i), text))
            return i;
    return -1;
}

int
tcon_row_at(struct console *c, int rows, int cols, const char *text)
{
    console__layout(c, rows, cols);
    return tcon_row_of(c, text);
}

void
tcon_dump(struct console *c)
{
    for (int i = 0; i < c->scr.rows; i++)
        fprintf(stderr, "|%s\n", tcon_line(c, i));
}

int
tcon_screen_has(struct console *c, int rows, int cols, const char *text)
{
    console__layout(c, rows, cols);
    if (tcon_row_of(c, text) >= 0)
        return 1;
    tcon_dump(c);
    return 0;
}
