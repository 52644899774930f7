/*
 * The console UI of `mitmproxy` (mitmproxy 8.1.1's tools/console): the
 * flow list, the flow view, the event log, help and the ':' prompt, drawn
 * with ncursesw. It is one more addon of the master and runs on the
 * master's loop: the terminal is an fd watch, SIGWINCH comes through a
 * pipe that is watched too, and the screen is redrawn once per loop turn
 * after anything changed (a flow, an option, a key, a log line).
 *
 *   console_register_options(&e);      console_* options, before the command line
 *   c = console_new(m, store);         after master_enable_store()
 *   master_add_addon(m, console_addon(c));
 *   console_open(c, &e);               the terminal is ours: the first screen
 *   master_configure(m, &e); master_listen(m, &e);
 *   console_start(c, &e);              keys and redraws on the master's loop
 *   master_run(m);                     until console.exit
 *   console_free(c);                   the terminal is given back
 *
 * Drawing is split in two: layout code computes every line of the screen
 * as styled text (no terminal needed, so tests check it), and a thin
 * ncurses painter puts that on the terminal. Keys go through a key map of
 * 8.1.1's default bindings to command strings, run by the master's
 * command registry, as 8.1.1's keymap does.
 */
#ifndef MP_CONSOLE_CONSOLE_H
#define MP_CONSOLE_CONSOLE_H

#include "util/err.h"

struct addon;
struct console;
struct master;
struct store;

/* Registers mitmproxy 8.1.1's console_* options (console_focus_follow is
 * the store's). Call before the command line is parsed. */
int console_register_options(struct err *e);

/* A console for the master and its store (both borrowed; they outlive it). */
struct console *console_new(struct master *m, struct store *s);
/*
 * The console as an addon: its commands (console.*) join the registry,
 * option changes and flow updates redraw. The chain owns the addon, not
 * the console: console_free() still frees the console.
 */
struct addon *console_addon(struct console *);
/*
 * Takes the terminal (ncursesw on stdin/stdout) and draws the first
 * screen, before the slower start-up (the CA, the listeners) as 8.1.1
 * shows its window before its proxy server runs. MP_ERR_IO when stdin or
 * stdout is not a terminal. Optional: console_start() opens it too.
 */
int console_open(struct console *, struct err *e);
/*
 * Watches the terminal and SIGWINCH on the master's loop and draws again
 * (now with the listen address). Call after master_configure().
 */
int console_start(struct console *, struct err *e);
/* Gives the terminal back (if started) and frees the console. */
void console_free(struct console *);

#endif
