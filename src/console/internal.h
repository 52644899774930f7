/*
 * Shared between the console's files; not for other modules. The files:
 *
 *   screen.c    the screen model: lines of styled spans, cut to the width
 *   wrap.c      text cut into lines where urwid's Text widget cuts it
 *   format.c    one flow as 8.1.1's list shows it (table, list, detail)
 *   psl.c       the public suffix list, for the host's colours
 *   flowview.c  the flow view's tabs: headers, bodies through the content views
 *   dnsview.c   a DNS flow's Request and Response tabs
 *   layout.c    the whole screen of the current view, status bar, prompt
 *   keymap.c    8.1.1's default key bindings, per context, to command strings
 *   eventlog.c  the event log: a ring of log lines
 *   lineedit.c  one line being typed (the prompt, a grid cell)
 *   grid.c      the grid editor: rows of cells, one being typed
 *   edit.c      editing a flow: its parts into grids or $EDITOR and back
 *   search_all.c  searching every flow, the result list (console.search.all)
 *   diff.c      the diff of two flows (console.view.diff)
 *   commands.c  the console.* commands the key bindings call
 *   ui.c        state, key dispatch, prompt, chooser, redraw scheduling
 *   panes.c     the layout panes (console_layout): geometry, focus, commands
 *   listbox.c   page up and down as urwid's ListBox moves them
 *   palette.c   8.1.1's six palettes: the colours of each style
 *   mouse.c     clicks and the wheel (console_mouse)
 *   scriptrun.c script.run, the command | prompts for
 *   term.c      ncurses: paints a screen, reads keys; the only file with curses
 *
 * Everything above term.c works without a terminal: tests make a console,
 * press keys and read the screen the layout made.
 */
#ifndef MP_CONSOLE_INTERNAL_H
#define MP_CONSOLE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "commands/commands.h"
#include "contentviews/cv.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

struct cmds;
struct console;
struct master;
struct options;

/* ---- the screen model (screen.c) ------------------------------------- */

/*
 * Styles: 8.1.1's palette names (palettes.py), which the painter maps to
 * colours. DEFAULT is text urwid draws without an attribute: the
 * terminal's own colours, or the palette's background when it is not
 * transparent. Last come 8.1.1's size and duration gradients
 * (gradient_00, large or slow, to gradient_99): one style for each run of
 * steps no palette tells apart, named after its first step (palette.c).
 */
#define CONSOLE_STYLE_MAP(X)                                                                       \
    X(TEXT, "text")                                                                                \
    X(TITLE, "title")                                                                              \
    X(HEADING, "heading")                                                                          \
    X(HEADING_KEY, "heading_key")                                                                  \
    X(HEADING_INACTIVE, "heading_inactive")                                                        \
    X(KEY, "key")                                                                                  \
    X(HEAD, "head")                                                                                \
    X(FOCUS, "focus")                                                                              \
    X(METHOD_GET, "method_get")                                                                    \
    X(METHOD_POST, "method_post")                                                                  \
    X(METHOD_DELETE, "method_delete")                                                              \
    X(METHOD_OTHER, "method_other")                                                                \
    X(METHOD_HEAD, "method_head")                                                                  \
    X(METHOD_PUT, "method_put")                                                                    \
    X(SCHEME_HTTP, "scheme_http")                                                                  \
    X(SCHEME_HTTPS, "scheme_https")                                                                \
    X(SCHEME_WS, "scheme_ws")                                                                      \
    X(SCHEME_WSS, "scheme_wss")                                                                    \
    X(SCHEME_TCP, "scheme_tcp")                                                                    \
    X(SCHEME_DNS, "scheme_dns")                                                                    \
    X(SCHEME_OTHER, "scheme_other")                                                                \
    X(URL_PUNCTUATION, "url_punctuation")                                                          \
    X(URL_DOMAIN, "url_domain")                                                                    \
    X(URL_FILENAME, "url_filename")                                                                \
    X(URL_EXTENSION, "url_extension")                                                              \
    X(URL_QUERY_KEY, "url_query_key")                                                              \
    X(URL_QUERY_VALUE, "url_query_value")                                                          \
    X(CONTENT_NONE, "content_none")                                                                \
    X(CONTENT_TEXT, "content_text")                                                                \
    X(CONTENT_SCRIPT, "content_script")                                                            \
    X(CONTENT_MEDIA, "content_media")                                                              \
    X(CONTENT_DATA, "content_data")                                                                \
    X(CONTENT_RAW, "content_raw")                                                                  \
    X(CONTENT_OTHER, "content_other")                                                              \
    X(CODE_200, "code_200")                                                                        \
    X(CODE_300, "code_300")                                                                        \
    X(CODE_400, "code_400")                                                                        \
    X(CODE_500, "code_500")                                                                        \
    X(CODE_OTHER, "code_other")                                                                    \
    X(ERROR, "error")                                                                              \
    X(WARN, "warn")                                                                                \
    X(ALERT, "alert")                                                                              \
    X(HEADER, "header")                                                                            \
    X(HIGHLIGHT, "highlight")                                                                      \
    X(INTERCEPT, "intercept")                                                                      \
    X(REPLAY, "replay")                                                                            \
    X(MARK, "mark")                                                                                \
    X(OFFSET, "offset")                                                                            \
    X(JSON_STRING, "json_string")                                                                  \
    X(JSON_NUMBER, "json_number")                                                                  \
    X(JSON_BOOLEAN, "json_boolean")                                                                \
    X(OPTION_SELECTED, "option_selected")                                                          \
    X(OPTION_ACTIVE, "option_active")                                                              \
    X(OPTION_ACTIVE_SELECTED, "option_active_selected")                                            \
    X(FOCUSFIELD, "focusfield")                                                                    \
    X(COMMANDER_COMMAND, "commander_command")                                                      \
    X(COMMANDER_INVALID, "commander_invalid")                                                      \
    X(COMMANDER_HINT, "commander_hint")                                                            \
    X(FOCUSFIELD_ERROR, "focusfield_error")                                                        \
    X(FIELD_ERROR, "field_error")                                                                  \
    X(EDITFIELD, "editfield")                                                                      \
    X(FROM_CLIENT, "from_client")                                                                  \
    X(TO_CLIENT, "to_client")                                                                      \
    X(DEFAULT, "default")                                                                          \
    X(GRADIENT_00, "gradient_00")                                                                  \
    X(GRADIENT_05, "gradient_05")                                                                  \
    X(GRADIENT_11, "gradient_11")                                                                  \
    X(GRADIENT_16, "gradient_16")                                                                  \
    X(GRADIENT_17, "gradient_17")                                                                  \
    X(GRADIENT_20, "gradient_20")                                                                  \
    X(GRADIENT_23, "gradient_23")                                                                  \
    X(GRADIENT_28, "gradient_28")                                                                  \
    X(GRADIENT_31, "gradient_31")                                                                  \
    X(GRADIENT_34, "gradient_34")                                                                  \
    X(GRADIENT_35, "gradient_35")                                                                  \
    X(GRADIENT_40, "gradient_40")                                                                  \
    X(GRADIENT_46, "gradient_46")                                                                  \
    X(GRADIENT_50, "gradient_50")                                                                  \
    X(GRADIENT_55, "gradient_55")                                                                  \
    X(GRADIENT_61, "gradient_61")                                                                  \
    X(GRADIENT_66, "gradient_66")                                                                  \
    X(GRADIENT_67, "gradient_67")                                                                  \
    X(GRADIENT_70, "gradient_70")                                                                  \
    X(GRADIENT_73, "gradient_73")                                                                  \
    X(GRADIENT_78, "gradient_78")                                                                  \
    X(GRADIENT_81, "gradient_81")                                                                  \
    X(GRADIENT_84, "gradient_84")                                                                  \
    X(GRADIENT_85, "gradient_85")                                                                  \
    X(GRADIENT_90, "gradient_90")                                                                  \
    X(GRADIENT_96, "gradient_96")

enum console_style {
#define X(id, name) ST_##id,
    CONSOLE_STYLE_MAP(X)
#undef X
        ST__COUNT
};

const char *console__style_name(enum console_style);

/* A run of text of one style: len bytes of UTF-8 in the line's text. */
struct span {
    uint16_t style; /* enum console_style */
    uint32_t len;
};

/*
 * One screen line: spans of text, never wider than width columns (a wide
 * glyph takes two). The text is what a terminal shows, without the
 * trailing blanks.
 */
struct sline {
    struct buf text;
    struct span *spans; /* owned array */
    size_t nspans, capspans;
    int width; /* the columns the line may take */
    int used;  /* the columns it takes */
};

struct screen {
    struct sline *lines; /* owned array of rows */
    int rows, cols;
    int cursor_row, cursor_col; /* -1: no cursor shown */
};

void console__screen_init(struct screen *, int rows, int cols);
void console__screen_clear(struct screen *);
/* Empties every line, keeping the size (the layout fills them again). */
void console__screen_reset(struct screen *);
/* Appends text (len bytes of UTF-8; SIZE_MAX: a C string) cut at the line's
 * width; control characters become '.'. Returns the columns added. */
int console__put(struct sline *, enum console_style, const char *text, size_t len);
/* The same, padded with blanks (or cut with an ellipsis) to exactly cols
 * columns; right-aligned when right is set, as 8.1.1's fixlen/fixlen_r. */
void console__put_fixed(struct sline *, enum console_style, const char *text, int cols, int right);
/* Blanks up to column col (nothing if the line is there already). */
void console__pad_to(struct sline *, enum console_style, int col);
/* The columns len bytes of UTF-8 take on a terminal: wide (East Asian,
 * emoji) glyphs two, combining marks none (console__cp_width). */
int console__width(const char *text, size_t len);
int console__cp_width(uint32_t cp);
/* The bytes of text's longest start that fits in cols columns. */
size_t console__cut(const char *text, size_t len, int cols);
/* The line's text as a NUL-terminated string (borrowed until it changes). */
const char *console__line_text(struct sline *);

/* A screen line of text laid out by console__wrap: len bytes at start. */
struct console_wrap {
    size_t start, len;
};
/* Cuts len bytes of UTF-8 into lines of at most cols columns where 8.1.1's
 * urwid Text (wrap "space") cuts them (wrap.c): at newlines, at the last
 * blank that fits, else inside the word. Returns how many (at least one);
 * *out gets them (malloc'd, the caller frees). */
size_t console__wrap(const char *text, size_t len, int cols, struct console_wrap **out);

/* ---- flow rows (format.c) --------------------------------------------- */

/* 8.1.1's human.pretty_duration (None: ""); sizes are num_pretty_size(). */
void console__pretty_duration(double secs, char *out, size_t outlen);
/* The gradient style of a size or a duration, as 8.1.1's format_size/format_duration. */
enum console_style console__size_style(uint64_t n);
enum console_style console__duration_style(double secs);
/* The style of a response's content type (format_http_content_type); *shown gets
 * the part before ';'. */
enum console_style console__content_type_style(const char *ct, size_t *shown);

/*
 * 8.1.1's format_flow for the flow list: the table layout (one line, for
 * terminals of 100 columns or more) or the list layout (two lines, one for a TCP or DNS flow;
 * out[1] gets the second; detail: the header of the flow view, with the date, one line for
 * DNS with the time as the table's).
 * focused draws the ">>" marker; errmsg is the flow's error (NULL: none).
 */
void console__format_table(struct sline *out, const struct store_info *, const char *errmsg,
                           int focused);
void console__format_list(struct sline out[2], const struct store_info *, const char *errmsg,
                          int focused, int detail);
/* format_tcp_flow above the flow view (RenderMode.DETAILVIEW): one line,
 * the focus marker, the time the client connected, "TCP", the client's and
 * the server's address, the messages' size and the time from the
 * connection to the last message. Reads f for what the store's row lacks. */
void console__format_tcp(struct sline *out, const struct store_info *, const struct flow *f,
                         const char *errmsg);
/* human.format_address: an IP address as Python prints it ("[...]" around
 * IPv6, "*" for the unspecified one, a mapped IPv4 one as IPv4), any other
 * name as it is; "<no address>" for none (a NULL or a NULL host). */
struct addr;
void console__format_address(const struct addr *a, char *out, size_t outlen);
/* How many characters of host's end are its public suffix (tld, 8.1.1's
 * get_tld) and its registrable domain (sld, get_sld), from Debian's public
 * suffix list (psl.c), as colorize_host colours them. */
void console__psl_suffixes(const char *host, size_t *tld, size_t *sld);
/* The style of each byte of a request path (len bytes into st) as 8.1.1's
 * colorize_req gives it (format.c). */
void console__path_styles(const char *s, size_t len, unsigned char *st);
/* The list read instead of Debian's (before the first host; tests). */
void console__psl_use(const char *path);
/* Python's repr() of a value of a flow's metadata, appended to out (repr.c). */
struct tns;
void console__repr(struct buf *out, const struct tns *v);
/* The lines row i of the view takes in the flow list: one in the table
 * layout; in the list layout two, one for a TCP flow (8.1.1's). */
int console__list_row_lines(struct console *c, int table, long i);
/* The flow list's top row and top_skip once the focus is shown whole and
 * the rows fill the pane's rows as far as the list goes (8.1.1's ListBox
 * leaves no blank below while rows are above). */
void console__flowlist_settle(struct console *c, int table, int rows);

/* ---- urwid's ListBox paging (listbox.c) ------------------------------------ */

/* A list of len items, rows(arg, i) rows each, in a pane of maxrow rows. */
struct console_lb {
    long len;
    int maxrow;
    int (*rows)(void *arg, long i);
    void *arg;
};
/* The focus, and the pane's row its first row is on (negative: rows of it
 * hidden above the pane). */
struct console_lb_state {
    long focus;
    int row;
};
/* urwid's _keypress_page_down (down) or _keypress_page_up on st. */
void console__lb_page(const struct console_lb *, int down, struct console_lb_state *st);
/* The row urwid really draws the focus's first row on (calculate_visible):
 * the rows above and below filling the pane as far as the list goes. */
int console__lb_visible(const struct console_lb *, const struct console_lb_state *st);

/* Whether the list uses the table layout at this width for the
 * console_flowlist_layout value ("default", "list", "table"). */
int console__table_layout(const char *layout, int cols);

/* ---- the key map (keymap.c) ---------------------------------------------- */

/* 8.1.1's key contexts (keymap.py Contexts). */
#define CONSOLE_CTX_MAP(X)                                                                         \
    X(CHOOSER, "chooser")                                                                          \
    X(COMMANDS, "commands")                                                                        \
    X(COMMONKEY, "commonkey")                                                                      \
    X(DATAVIEWER, "dataviewer")                                                                    \
    X(EVENTLOG, "eventlog")                                                                        \
    X(FLOWLIST, "flowlist")                                                                        \
    X(FLOWVIEW, "flowview")                                                                        \
    X(GLOBAL, "global")                                                                            \
    X(GRIDEDITOR, "grideditor")                                                                    \
    X(HELP, "help")                                                                                \
    X(KEYBINDINGS, "keybindings")                                                                  \
    X(OPTIONS, "options")

enum console_ctx {
#define X(id, name) CTX_##id,
    CONSOLE_CTX_MAP(X)
#undef X
        CTX__COUNT
};

const char *console__ctx_name(enum console_ctx);
/* The context of that name, or -1. */
int console__ctx_find(const char *name);

/* One binding: key as 8.1.1 spells it ("j", "ctrl f", "enter", "shift tab"). */
struct binding {
    char *key;
    char *command; /* a command line for the registry */
    char *help;
    unsigned contexts; /* 1 << enum console_ctx */
};

struct keymap {
    struct binding *v; /* owned; in the order added */
    size_t n, cap;
};

/* A key map holding 8.1.1's defaults (defaultkeys.py). */
void console__keymap_defaults(struct keymap *);
void console__keymap_clear(struct keymap *);
/*
 * keymap.add: binds key to command in contexts. A binding of the same key
 * and command gains the contexts; otherwise key is first unbound from them.
 * Room for keys.yaml, which later adds bindings this way.
 */
void console__keymap_add(struct keymap *, const char *key, const char *command, unsigned contexts,
                         const char *help);
/* The binding of key in exactly this context, or NULL. */
const struct binding *console__keymap_get(const struct keymap *, enum console_ctx, const char *key);
/* keymap.handle's look-up: the context's binding, else the global one. */
const struct binding *console__keymap_lookup(const struct keymap *, enum console_ctx,
                                             const char *key);
/* keymap.list: the bindings of a context (CTX__COUNT: "all"), single keys
 * first, each sorted by key. Fills out (owned; free()) and returns the count. */
size_t console__keymap_list(const struct keymap *, enum console_ctx, const struct binding ***out);

/* ---- the event log (eventlog.c) ------------------------------------------ */

/* Guards every struct eventlog: log lines may come from other threads. */
extern pthread_mutex_t console__log_lock;

struct eventlog {
    struct {
        enum log_level level;
        char *msg;
    } * v; /* a ring of cap entries */
    size_t start, n, cap;
    uint64_t seen; /* lines added ever: the UI redraws when it moves */
};

void console__eventlog_init(struct eventlog *, size_t cap);
void console__eventlog_clear(struct eventlog *);
void console__eventlog_add(struct eventlog *, enum log_level, const char *msg);
/* The i-th oldest line kept. */
const char *console__eventlog_get(const struct eventlog *, size_t i, enum log_level *level);

/* ---- the flow view (flowview.c) ------------------------------------------- */

/* Body lines per chunk of struct flowview. */
#define FV_CHUNK 1024

/* The kinds of tab; a flow shows some of them (console__flowview_tabs). */
enum fv_tab { FV_REQUEST, FV_RESPONSE, FV_DETAIL, FV_WEBSOCKET, FV_TCP, FV__COUNT };

/* The tabs of f in 8.1.1's order: Request, Response, WebSocket Messages
 * (when f has a WebSocket), Detail; for a TCP flow TCP Stream and Detail;
 * f NULL: Request, Response, Detail. Returns how many; out[i] is an enum
 * fv_tab. */
int console__flowview_tabs(const struct flow *f, int out[FV__COUNT]);
/* The name of tab t of f on the tab line ("Request intercepted", ...). */
const char *console__flowview_tab_name(const struct flow *f, int t);
/* The tab line of f, cols wide: its tabs (console__flowview_tabs) in equal
 * parts, as urwid's Columns share them, FV_TAB_DIVIDER blank columns
 * between two; widths[i] is tabs[i]'s. Returns how many. The layout draws
 * it and the mouse finds a tab on it. */
#define FV_TAB_DIVIDER 1
int console__flowview_tab_line(const struct flow *f, int cols, int tabs[FV__COUNT],
                               int widths[FV__COUNT]);
/* The row of the tab line in the flow view: under the flow's header, one
 * line for a TCP flow (format_tcp_flow), two for the others. */
int console__flowview_tab_row(const struct flow *f);

/*
 * What the flow view shows of the focused flow's current tab, built once
 * per flow, tab and view mode: the lines above the body (headers, or the
 * whole Detail tab), the description line, and the body's render, asked
 * for more lines only as the view scrolls down to them.
 */
struct flowview {
    char *flow_id; /* owned; NULL: nothing built */
    int stale;     /* built for flow_id, but to be built again */
    int built_tab; /* the tab built (tab is the one asked for) */
    int tab;       /* enum fv_tab */
    char *mode;    /* the content view's name, as console_default_contentview */
    /* Header lines (and a messages tab's), one screen line each, in blocks
     * of FV_HEAD_BLOCK: a million lines grow a block at a time, where one
     * array was copied whole each time it doubled. */
    struct sline **head; /* owned blocks, each owned */
    size_t nheadblk, capheadblk;
    int nhead;
    int cols; /* the width the lines were made for */
    char *description;
    struct cv_render *render; /* NULL when the tab has no body */
    /* The body's lines so far, FV_CHUNK to a chunk: a body of a million
     * lines grows a chunk at a time, where one array of them was copied
     * whole each time it doubled (100 MB moved in one redraw). */
    struct cv_lines *chunk; /* owned array of nchunk */
    size_t nchunk, capchunk;
    size_t nbody; /* body lines rendered */
    int body_done;
    size_t limit;  /* body lines shown at most (content_view_lines_cutoff); 0: all */
    int cut;       /* the body went past limit: a line says how to see it all */
    int scroll;    /* first line shown, counting header lines */
    int highlight; /* the line a search found, -1: none */
    int at_end;    /* G: stay at the end while the render goes on */
    int want;      /* the lines the last layout asked the render for */
    /* The flow whose body the render reads in place (the console holds it
     * while shown), and that body's bytes when the render began: a body
     * replaced since then is not read, the view is built again. */
    const struct flow *lent;
    const void *lent_p;
    size_t lent_len;
    /* The WebSocket Messages and TCP Stream tabs render a message at a
     * time into the header lines, as many as are wanted, a budget of work
     * at a time, as a body is rendered: msgs_of is the flow (held by the
     * console while shown), msg_next the next message, msg_end the end of
     * its run (TCP joins the messages sent one way in a row, into
     * msg_joined up to msg_joined_to), msg the one rendering. */
    const struct flow *msgs_of;
    size_t msg_next, msg_end, msg_joined_to;
    int msg_from_client;
    struct buf msg_joined;
    struct cv_render *msg;
    struct cv_lines msg_lines;
    /* The line blocks of views left (a 100 MB TCP stream's are a million
     * lines: freeing them at once held the keys for over 100 ms), freed a
     * slice at a time by console__flowview_reap; clearing keeps them. */
    struct sline **dead; /* owned array of owned blocks */
    size_t ndead, capdead;
};

#define FV_HEAD_BLOCK 1024

/* Header line i (< nhead). */
static inline struct sline *
console__flowview_head(const struct flowview *fv, int i)
{
    return &fv->head[i / FV_HEAD_BLOCK][i % FV_HEAD_BLOCK];
}

/* Whether the tab has lines still to render (a body or messages). */
static inline int
console__flowview_pending(const struct flowview *fv)
{
    return (fv->render || fv->msgs_of) && !fv->body_done;
}

void console__flowview_init(struct flowview *);
/* Lets the view go (nothing built); a view of more than FV_REAP_MIN blocks
 * of lines leaves them on the dead list for console__flowview_reap. */
#define FV_REAP_MIN 4
void console__flowview_clear(struct flowview *);
/* Frees dead lines for about budget_us microseconds (UINT_MAX: all of
 * them); returns 1 while some are left, for the next idle slice. Each
 * redraw frees FV_REAP_SLICE_US worth: a few milliseconds, as a body's
 * render takes. */
int console__flowview_reap(struct flowview *, unsigned budget_us);
#define FV_REAP_SLICE_US 4000u
/* Clears the view and frees every dead line: the console is going. */
void console__flowview_free(struct flowview *);
/* The flow changed (or the size, or the mode): build again when next drawn,
 * keeping the tab and the scroll position. */
void console__flowview_invalidate(struct flowview *);
/* Builds the view of f's tab with mode (nothing if it is built already);
 * bodies stop after limit lines (0: no limit), as 8.1.1's cutoff does. */
void console__flowview_build(struct flowview *, struct flow *f, int tab, const char *mode, int cols,
                             size_t limit);
/* Renders body lines until there are want of them (header lines included)
 * or the render is done; does about budget bytes of work. Returns 1 while
 * more is wanted and there is more to render. */
int console__flowview_fill(struct flowview *, int want, size_t budget);
/* A new line at the end of the lines above the body (the headers, the
 * Detail tab, a DNS message), cols wide; borrowed from fv. */
struct sline *console__flowview_add_line(struct flowview *, int cols);
/* A DNS flow's Request or Response tab (dnsview.c): m's sections as 8.1.1
 * lays them out, or "No request." / "No response." (what names it) when m
 * is NULL. */
struct dns_message;
void console__dnsview(struct flowview *, const struct dns_message *m, const char *what, int cols);
/* Lines known so far (header, description, body). */
int console__flowview_lines(const struct flowview *);
/* Draws line i of the view into out. */
void console__flowview_line(const struct flowview *, int i, struct sline *out);

/* ---- typing a line (lineedit.c) -------------------------------------------- */

/* Inserts t[0..n) at *cursor (a byte offset), moving the cursor past it. */
void console__line_insert(struct buf *, size_t *cursor, const char *t, size_t n);
/* An editing key (a character, "space", "backspace", "left", "ctrl k", ...)
 * applied to the line; 0 when the key is not one of them. */
int console__line_key(struct buf *, size_t *cursor, const char *key);

/* ---- the grid editor (grid.c) ----------------------------------------------- */

#define GRID_MAXCOLS 3

struct grid_row {
    struct buf cell[GRID_MAXCOLS]; /* bytes; a sub-grid column: "name=value" lines */
    unsigned errors;               /* 1 << column: the cell holds a bad value */
};

/*
 * A grid editor: rows of cells under headings, one focused cell, which
 * may be typed (editing: the escaped text in edit). A sub-grid edits one
 * cell of its parent (parent_row, the parent's sub_col); the console shows
 * the innermost grid and q goes back out, one grid at a time.
 */
struct grid {
    char *title; /* owned; the title bar's text */
    int ncols;
    const char *headings[GRID_MAXCOLS]; /* static strings */
    int sub_col;                        /* the column that opens a sub-grid; -1: none */
    struct grid_row *rows;              /* owned */
    size_t n, cap;
    int focus, focus_col, top;
    int editing;
    struct buf edit;
    size_t cursor;
    char *part;          /* owned; what it edits ("request-headers"), for edit.c */
    char *flow_id;       /* owned; the flow it edits (NULL in a sub-grid) */
    struct grid *parent; /* owned: freeing a grid frees its parents */
    int parent_row;
};

/* Python's bytes_to_escaped_str: "\\", \n, \r, \t, \xNN for other bytes
 * outside printable ASCII. */
void console__escape(const void *data, size_t n, struct buf *out);
/* codecs.escape_decode, appended to out; MP_ERR_SYNTAX for a trailing
 * backslash or a bad \x (out may hold part of the result then). */
int console__unescape(const char *s, size_t n, struct buf *out, struct err *e);

struct grid *console__grid_new(const char *title, int ncols, const char *const *headings,
                               int sub_col);
void console__grid_free(struct grid *);
/* Appends a row of ncols cells (copied). */
void console__grid_append(struct grid *, const struct slice *cells);
/* Whether row i is written back: no bad cell and not all cells empty
 * (BaseGridEditor.layout_popping). */
int console__grid_keep(const struct grid *, size_t i);
/* The focused cell, or NULL when there are no rows. */
struct buf *console__grid_cell(struct grid *);
/* Sets the focused cell to bytes (r, R and e do this). */
void console__grid_set(struct grid *, const void *p, size_t n);
/* Starts typing the focused cell (not in a sub-grid column); 1 if it did. */
int console__grid_start_edit(struct grid *);
/* Ends typing: the text's escapes are read into the cell. A bad escape is
 * an error, and typing goes on. */
int console__grid_stop_edit(struct grid *, struct err *e);
/* a, A, d: a row after the focus, before it (both typed at once), delete. */
void console__grid_add(struct grid *);
void console__grid_insert(struct grid *);
void console__grid_delete(struct grid *);
/* Moves the focus (clamped), ending any typing first. */
void console__grid_move(struct grid *, int rows, int cols);
/* tab: the next cell, the next row's first after the last. */
void console__grid_tab(struct grid *);
/* Draws the headings and rows into lines (rows of them, cols wide); the
 * cursor of a typed cell goes into scr at first_row + its line. */
void console__grid_draw(struct grid *, struct sline *lines, int rows, int cols, struct screen *scr,
                        int first_row);

/* ---- the console (ui.c, commands.c, layout.c) ----------------------------- */

enum view_kind {
    VIEW_FLOWLIST,
    VIEW_FLOWVIEW,
    VIEW_HELP,
    VIEW_EVENTLOG,
    VIEW_GRID,
    VIEW_OPTIONS,
    VIEW_COMMANDS,
    VIEW_KEYBINDINGS,
    VIEW_SEARCH, /* search_all.c */
    VIEW_DIFF    /* diff.c */
};

/* A browser's list (options, commands, key bindings): the focus, the first
 * row shown, and the options list's value being typed. */
struct browser {
    long focus, top;
    int editing;
    struct buf edit;
    size_t cursor;
};

/* The chooser overlay (console.choose): a list of choices, then a command
 * with {choice} replaced. */
struct chooser {
    int active;
    char *title;
    struct strv choices;
    int focus;
    char *command; /* owned */
};

/* The prompt's history (commands.history.*) and the completion being cycled. */
struct prompt_state {
    struct strv history;  /* oldest first */
    struct strv filtered; /* the entries starting with the filter, then the filter */
    size_t index;         /* into filtered */
    int active_filter;
    char *filter_str; /* owned; what was typed when up was first pressed */
    int completing;
    struct strv options; /* the completions being cycled */
    long pos;            /* -1: none shown yet */
    char *start;         /* owned; the prefix completed */
    char *parsed;        /* owned; the text before the piece completed */
};

/* The action bar: a prompt being typed, or a question, or a message. */
enum bar_mode { BAR_NONE, BAR_PROMPT, BAR_QUIT, BAR_MESSAGE, BAR_SEARCH };

/* Where a layout pane is on the screen (its title line included). */
struct pane_rect {
    int row, col, rows, cols;
};

struct console {
    struct master *master; /* borrowed */
    struct store *store;   /* borrowed */
    struct keymap keymap;
    struct eventlog log;
    int log_sink; /* id from log_add_sink, -1 if none */
    int store_sub;
    enum view_kind stack[8];
    int depth; /* views on the stack; stack[depth - 1] is shown */
    /* The layout pane not focused (panes.c): its views, kept aside. */
    enum view_kind other_stack[8];
    int other_depth;
    int pane;                  /* the focused pane: 0 top or left, 1 bottom or right */
    struct pane_rect panes[2]; /* as last laid out (the mouse finds them) */
    int npanes;
    long top;     /* the flow list's first shown row */
    int top_skip; /* its lines hidden above the pane (urwid shows rows in part) */
    int help_scroll, log_scroll;
    int log_follow;
    struct flowview fv;
    /* The flow the flow view shows, one reference: held while it is shown, so
     * the store does not compact it and read its bodies back on every redraw. */
    struct flow *shown;
    struct chooser chooser;
    struct grid *grid; /* owned; the innermost grid editor, while VIEW_GRID is on the stack */
    struct browser browse[3]; /* options, commands, key bindings */
    enum bar_mode bar;
    struct buf prompt; /* the prompt's text (BAR_PROMPT) */
    struct prompt_state ps;
    char *last_search;    /* owned; the flow view's search, NULL before the first */
    struct fv_search *fs; /* owned; the flow view's search while it runs, else NULL */
    size_t cursor;        /* byte offset in prompt */
    char *message;        /* BAR_MESSAGE; owned */
    int message_error;
    struct screen scr;
    int rows, cols;
    int dirty;
    int exit_requested;
    struct term *term;  /* NULL without a terminal (tests) */
    void *redraw_timer; /* struct server_timer *, when started */
    int redraw_pending;

    struct search_all *sa; /* owned; the last search across flows, NULL before the first */
    struct diffview *dv;   /* owned; the diff VIEW_DIFF shows, NULL before the first */
};

/* A console without a terminal, for start-up and for tests. */
void console__init(struct console *, struct master *, struct store *);
void console__clear(struct console *);
/* Adds the console.* commands to cmds (their arg is the console). */
int console__commands(struct console *, struct cmds *, struct err *e);
/* One row of a file's command table, as cmds_add() takes it. */
struct console__cmd {
    const char *name, *help;
    const struct cmds_param *params;
    size_t nparams;
    enum cmds_type ret;
    cmds_fn fn;
};
/* The arguments of call from `from` on, joined by spaces (8.1.1's
 * " ".join(args)); a list argument gives its items. Caller frees. */
char *console__joined_args(struct cmds_call *, size_t from);
/* Appends a str[] argument's items to out: the list, or a string typed as
 * "a,b" split at its commas. */
void console__strs_arg(const struct cmds_value *, struct strv *out);
/* Adds the n commands of table to cmds, each with the console as its arg;
 * stops at the first that cmds_add() refuses and returns its error. */
int console__add_commands(struct console *, struct cmds *, const struct console__cmd *table,
                          size_t n, struct err *e);
/* The editing commands (console.edit.focus, console.grideditor.*), edit.c. */
int console__edit_commands(struct console *, struct cmds *, struct err *e);
/* q on a grid: its rows go back into its parent grid or into the flow.
 * Returns 1 when the grid view is done (no parent left). */
int console__grid_pop(struct console *);
/* enter on a grid: type the focused cell, or open its sub-grid. */
void console__grid_select(struct console *);
/* Runs $MITMPROXY_EDITOR, $EDITOR (else sensible-editor, nano, vim, vi) on
 * a temporary file holding data, the terminal given to it meanwhile; data
 * becomes what the file holds afterwards. */
int console__spawn_editor(struct console *, struct buf *data, struct err *e);
/* Something changed: redraw at the end of this loop turn. */
void console__dirty(struct console *);
/* A key, by 8.1.1's name ("j", "enter", "ctrl f", "page down", "esc"). */
void console__press(struct console *, const char *key);
/* Computes the whole screen for rows x cols into c->scr. */
void console__layout(struct console *, int rows, int cols);
/* The key context of the view shown. */
enum console_ctx console__context(const struct console *);
/* Views: push one, pop the top (from the flow list: asks to quit). */
void console__push(struct console *, enum view_kind);
void console__pop(struct console *);
/* Opens the prompt with text, the cursor at cursor (SIZE_MAX: at the end). */
void console__prompt(struct console *, const char *text, size_t cursor);
/* Shows a message in the action bar until the next key. */
void console__message(struct console *, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs a command line through the registry; an error becomes a message. */
int console__execute(struct console *, const char *line);
/* Navigation for console.nav.*: the view shown moves. */
enum nav {
    NAV_UP,
    NAV_DOWN,
    NAV_PAGEUP,
    NAV_PAGEDOWN,
    NAV_START,
    NAV_END,
    NAV_SELECT,
    NAV_NEXT,
    NAV_LEFT,
    NAV_RIGHT
};
void console__nav(struct console *, enum nav);
/* The movement keys (up, down, page up and down by page, start, end; the
 * others move nothing) on a list's focus, kept within 0 .. len - 1 ... */
void console__nav_focus(long *focus, enum nav, long page, long len);
/* ... and on the first shown line of total lines, page of them shown:
 * kept within 0 .. total - page. */
void console__nav_scroll(int *scroll, enum nav, int page, int total);
/* The content view mode of the flow view (per flow, else the option). */
const char *console__flowview_mode(struct console *, const char *flow_id);
const struct options *console__opts(const struct console *);
/* An option registered at run time (the console's, intercept, the view's),
 * which has no field in struct options, by name: none if it is not
 * registered with that type, and for a str option also if it is None. */
const char *console__opt_str(const struct console *, const char *name, const char *none);
int console__opt_bool(const struct console *, const char *name, int none);
/* The file called name in the confdir option's directory, "~" expanded
 * (malloc'd; NULL if confdir is unset). */
char *console__confdir_file(const struct console *, const char *name);

/* ---- the layout panes (panes.c) ---------------------------------------------- */

/* The panes of a console_layout value in rows x cols (the screen less the
 * status and action bars); returns how many (1 or 2). */
int console__panes_geometry(const char *layout, int rows, int cols, struct pane_rect out[2]);
/* The panes the console_layout option asks for. */
int console__panes_count(const struct console *);
void console__panes_init(struct console *);
/* Focuses pane 0 or 1 (1 only in a split layout). */
void console__panes_focus(struct console *, int pane);
/* console_layout changed to layout (the new options are not the master's
 * yet while addons configure): back to the first pane when single. */
void console__panes_configure(struct console *, const char *layout);
/* console.layout.options, console.layout.cycle, console.panes.next. */
int console__panes_commands(struct console *, struct cmds *, struct err *e);
/* script.run, scriptrun.c: | runs a script on the focused flow. */
int console__scriptrun_commands(struct console *, struct cmds *, struct err *e);

/* ---- the prompt (prompt.c) ---------------------------------------------------- */

/* A key on the prompt other than enter and esc; 0 when it is not one. */
int console__prompt_key(struct console *, const char *key);
/* Draws text (the prompt's) coloured by what the command registry makes of
 * it, with the parameters still to come as hints. */
void console__prompt_draw(struct console *, struct sline *, const char *text, size_t len);
/* command_history in the conf dir: read (when the option says so), one
 * line added per command run from the prompt, cut at exit when long. */
void console__history_load(struct console *);
void console__history_add(struct console *, const char *cmd);
void console__history_done(struct console *);
void console__history_filter(struct console *, const char *prefix);
void console__prompt_state_clear(struct prompt_state *);
int console__prompt_commands(struct console *, struct cmds *, struct err *e);

/* ---- searching the flow view (search.c) --------------------------------------- */

/* The text to find (empty: the last one again), then the first line after
 * the view's top holding it. */
void console__search_set(struct console *, const char *text);
/* n and N: the next or previous line holding it, wrapping around. With a
 * loop (a redraw timer) the lines are looked at, and the body rendered,
 * a slice at a time: the rest runs from console__search_poll(). */
void console__search_next(struct console *, int backwards);
/* Runs the flow view's search for about a slice; returns 1 while it goes on
 * (the redraw re-arms itself), 0 once it found the line or is over. */
int console__search_poll(struct console *);
/* Stops the flow view's search where it is (esc). */
void console__search_stop(struct console *);

/* ---- searching every flow (search_all.c) ------------------------------------ */

struct search_all;
/* Searches every flow for text: a filter expression (it starts with "~",
 * "!" or "("), else plain text in URLs, headers and bodies. Shows the
 * result screen; the search itself runs to its end at once without a
 * terminal, else a slice per redraw (console__search_all_poll).
 * MP_ERR_SYNTAX with e for a filter that does not parse. */
int console__search_all(struct console *, const char *text, struct err *e);
/* Runs a slice (some milliseconds) of a search under way; 1 while there
 * is more to do. */
int console__search_all_poll(struct console *);
/* Whether a search is under way; esc (or leaving its screen) stops it,
 * keeping the hits found so far. */
int console__search_all_running(const struct console *);
void console__search_all_stop(struct console *);
/* The hits of the last search. */
size_t console__search_all_count(const struct console *);
void console__search_all_draw(struct console *, struct sline *lines, int rows);
void console__search_all_nav(struct console *, enum nav, int page);
void console__search_all_free(struct search_all *);
int console__search_all_commands(struct console *, struct cmds *, struct err *e);

/* ---- the diff of two flows (diff.c) ------------------------------------------- */

struct diffview;
/* Shows the diff of a and b (borrowed): request, then response, each its
 * first line, headers and body through the content view, line by line. */
void console__diff_show(struct console *, struct flow *a, struct flow *b);
void console__diff_draw(struct console *, struct sline *lines, int rows);
void console__diff_nav(struct console *, enum nav, int page);
void console__diff_free(struct diffview *);
int console__diff_commands(struct console *, struct cmds *, struct err *e);

/* ---- the browsers (browse.c) ------------------------------------------------ */

/* The browser of view v (options, commands, key bindings), else NULL. */
struct browser *console__browser(struct console *, enum view_kind);
/* The number of items it lists. */
size_t console__browse_len(struct console *, enum view_kind);
void console__browse_draw(struct console *, enum view_kind, struct sline *lines, int rows,
                          int row0);
/* Moves its focus; NAV_SELECT acts on the item (page: rows per page). */
void console__browse_nav(struct console *, enum view_kind, enum nav, int page);
/* A mouse press on row y of its pane (rows high, title excluded): the
 * list's row there is focused. */
void console__browse_click(struct console *, enum view_kind, int y, int rows);
/* A key while the focused option's value is typed (enter sets, esc leaves). */
void console__browse_edit_key(struct console *, const char *key);
const struct opt_info *console__focused_option(struct console *);
const struct binding *console__focused_binding(struct console *);

/* ---- keys.yaml and console.key.* (keys.c, keysyaml.c) ------------------------- */

/* One entry of keys.yaml; every string owned. */
struct keyspec {
    char *key, *cmd, *help; /* help may be NULL */
    struct strv ctx;        /* empty: ["global"] */
};

/*
 * Parses 8.1.1's keys.yaml: a list of mappings with key and cmd (strings),
 * ctx (a list of strings) and help. Fills out (owned; free each with
 * console__keyspecs_free) and returns the number of entries, or a negative
 * MP_ERR_SYNTAX with e naming the line or the bad attribute.
 */
long console__keys_parse(const char *text, size_t len, struct keyspec **out, struct err *e);
void console__keyspecs_free(struct keyspec *, size_t n);
/* keymap.remove: key leaves these contexts. */
void console__keymap_remove(struct keymap *, const char *key, unsigned contexts);
/* KeymapConfig.load_path: the file's bindings replace those of their keys;
 * a file that does not exist is no error. */
int console__keys_load(struct console *, const char *path, struct err *e);
/* The console.key.* and console.keymap.load commands. */
int console__key_commands(struct console *, struct cmds *, struct err *e);

/* ---- the terminal (term.c) ------------------------------------------------ */

struct term;
/* Takes the terminal; NULL with e when stdin or stdout is not one. */
struct term *console__term_new(struct err *e);
void console__term_free(struct term *);
/* stdin's fd, to watch, and the SIGWINCH pipe's read end. */
int console__term_fd(const struct term *);
int console__term_winch_fd(const struct term *);
/* After SIGWINCH: reads the new size into the terminal. */
void console__term_resize(struct term *);
void console__term_size(const struct term *, int *rows, int *cols);
/* Reads the next key's name into out (8.1.1's spelling); 0 when there is none. */
int console__term_key(struct term *, char *out, size_t outlen);
/* Mouse reports on or off (console_mouse); they come as keys named
 * "mouse press BUTTON COL ROW". */
void console__term_mouse(struct term *, int on);
/* Gives the terminal to another program (an editor) and takes it back,
 * repainting everything. */
void console__term_suspend(struct term *);
void console__term_resume(struct term *);
/* Puts the screen on the terminal (ncurses sends only what changed), in
 * the colours of palette (console_palette), transparent or not. */
void console__term_paint(struct term *, const struct screen *, const char *palette,
                         int transparent);

/* ---- the mouse (mouse.c) ---------------------------------------------------- */

/* Whether key is a mouse event ("mouse press BUTTON COL ROW"); fills them in. */
int console__mouse_parse(const char *key, int *button, int *col, int *row);
/* A press at col, row of the screen last laid out: the wheel (4, 5) is up
 * and down; button 1 focuses the pane under it, and on a flow opens it, on
 * a tab of the flow view shows that tab (8.1.1's mouse_event handlers). */
void console__mouse(struct console *, int button, int col, int row);

/* ---- the palettes (palette.c) --------------------------------------------- */

/* A style's colours on a terminal: fg and bg 0-255, -1 the terminal's own. */
struct console_colour {
    short fg, bg;
    int bold;
};

/* The index of 8.1.1's palette of that name, or -1. */
int console__palette_find(const char *name);
/* The colours of style (-1: the background under everything) in the palette
 * (an unknown name: solarized_dark, 8.1.1's default) for a terminal of
 * ncolors: 256 or more the high colours, else the 16 low ones (on 8, the
 * bright half is the dark half in bold). */
struct console_colour console__palette_colour(const char *palette, int transparent, int style,
                                              int ncolors);
/* The style of 8.1.1's gradient_NN for step 0..99 (ST_GRADIENT_00 the largest). */
enum console_style console__gradient_style(int step);

#endif
