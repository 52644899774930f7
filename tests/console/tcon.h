/*
 * Helpers for the console's tests: a console without a terminal (a master
 * with the intercept addon, the flow store and the console, as mitmproxy
 * starts them, but no server), keys pressed by name, and the screen that
 * console__layout() computed, read line by line.
 */
#ifndef MP_TESTS_CONSOLE_TCON_H
#define MP_TESTS_CONSOLE_TCON_H

#include "console/internal.h"
#include "master/master.h"
#include "store/store.h"

struct tcon {
    struct master *m;
    struct store *s;   /* the master's */
    struct console *c; /* an addon of the master */
};

/*
 * Registers the console's options, sets server=false and then each
 * "name=value" of the NULL-terminated list, and configures the master;
 * any error fails the test. Free with tcon_stop().
 */
void tcon_start(struct tcon *, ...);
void tcon_stop(struct tcon *);

/*
 * A finished flow as the console's tests show it: tflow_http()'s, with no
 * headers and no bodies, so that the rows show no sizes. The caller owns
 * the reference.
 */
struct flow *tcon_flow(const char *method, const char *path, int status);
/*
 * A GET whose text/plain response has n lines, "line i" each, except
 * lines a and b, which read "needle i": a body to scroll and search. The
 * caller owns the reference.
 */
struct flow *tcon_lines_flow(int n, int a, int b);
/* Adds f to the store (the store's reference; the caller's is dropped),
 * opens it and goes to its Response tab, laid out at rows x cols. */
void tcon_open_response(struct tcon *, struct flow *f, int rows, int cols);

/* Presses each key of a NULL-terminated list of key names ("j", "shift tab"). */
void tcon_keys(struct console *, ...);
/* Types text one key at a time (a space is the key "space"). */
void tcon_type(struct console *, const char *text);

/* Line i of the screen as last laid out (borrowed until the next layout). */
const char *tcon_line(struct console *, int i);
/* The first line of the screen as last laid out that contains text, or -1. */
int tcon_row_of(struct console *, const char *text);
/* Lays the screen out at rows x cols, then tcon_row_of(). */
int tcon_row_at(struct console *, int rows, int cols, const char *text);
/* The screen to stderr, a "|" before each line: what a failing check saw. */
void tcon_dump(struct console *);
/* Lays the screen out at rows x cols and says whether a line contains
 * text; if none does, dumps the screen first. */
int tcon_screen_has(struct console *, int rows, int cols, const char *text);

#endif
