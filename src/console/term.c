/*
 * The terminal, through ncursesw: the only file of the console that knows
 * curses. It paints a screen model (ncurses then sends the terminal only
 * the cells that changed), reads keys without blocking and names them as
 * 8.1.1 (urwid) does, and turns SIGWINCH into a byte on a pipe, so a
 * resize wakes the loop like a key does.
 */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "console/internal.h"
#include "util/xmalloc.h"

struct term {
    SCREEN *screen;
    int pipe[2]; /* SIGWINCH writes to [1]; the loop watches [0] */
    struct sigaction old_winch;
    int colors; /* palette set up for this many colours (0: none) */
    const char *palette;
};

static int winch_fd = -1;

static void
on_sigwinch(int sig)
{
    int saved = errno;
    if (winch_fd >= 0)
        (void)!write(winch_fd, "w", 1);
    errno = saved;
}

/*
 * Colours per style: 8.1.1's palettes name urwid colours; these are the
 * nearest of the 256-colour (and 8-colour) terminal for its default
 * palette, solarized_dark, on the terminal's own background
 * (console_palette_transparent). -1 is the terminal's default colour.
 */
struct colour {
    short fg256, fg8, bg256, bg8;
    int bold;
};

static struct colour
style_colour(enum console_style s)
{
    enum {
        BLK = COLOR_BLACK,
        RED = COLOR_RED,
        GRN = COLOR_GREEN,
        YEL = COLOR_YELLOW,
        BLU = COLOR_BLUE,
        MAG = COLOR_MAGENTA,
        CYN = COLOR_CYAN,
        WHT = COLOR_WHITE
    };
    switch (s) {
    case ST_TITLE:
        return (struct colour){33, BLU, -1, -1, 1};
    case ST_HEADING:
    case ST_HEADING_INACTIVE:
    case ST_OPTION_SELECTED:
        return (struct colour){254, WHT, s == ST_HEADING_INACTIVE ? 236 : 240, BLU, 0};
    case ST_HEADING_KEY:
        return (struct colour){33, CYN, 240, BLU, 1};
    case ST_KEY:
    case ST_HEADER:
    case ST_CODE_300:
    case ST_CONTENT_MEDIA:
        return (struct colour){33, BLU, -1, -1, 0};
    case ST_HEAD:
        return (struct colour){254, WHT, -1, -1, 1};
    case ST_METHOD_GET:
    case ST_CODE_200:
    case ST_REPLAY:
    case ST_SCHEME_HTTPS:
    case ST_CONTENT_SCRIPT:
        return (struct colour){64, GRN, -1, -1, 0};
    case ST_METHOD_POST:
    case ST_CODE_400:
    case ST_WARN:
    case ST_CONTENT_DATA:
        return (struct colour){166, YEL, -1, -1, 0};
    case ST_METHOD_DELETE:
    case ST_METHOD_PUT:
    case ST_CODE_500:
    case ST_ERROR:
    case ST_CONTENT_RAW:
        return (struct colour){160, RED, -1, -1, 0};
    case ST_INTERCEPT:
        /* 8.1.1 shows intercepted flows in orange (#f60). */
        return (struct colour){202, RED, -1, -1, 1};
    case ST_METHOD_HEAD:
    case ST_SCHEME_HTTP:
    case ST_OFFSET:
        return (struct colour){37, CYN, -1, -1, 0};
    case ST_METHOD_OTHER:
    case ST_CODE_OTHER:
    case ST_ALERT:
    case ST_SCHEME_WSS:
    case ST_SCHEME_TCP:
    case ST_SCHEME_OTHER:
    case ST_CONTENT_OTHER:
        return (struct colour){125, MAG, -1, -1, 0};
    case ST_SCHEME_WS:
        return (struct colour){136, YEL, -1, -1, 0};
    case ST_SCHEME_DNS:
        return (struct colour){33, BLU, -1, -1, 0};
    case ST_MARK:
    case ST_JSON_STRING:
        return (struct colour){160, RED, -1, -1, 0};
    case ST_JSON_NUMBER:
        return (struct colour){33, BLU, -1, -1, 0};
    case ST_JSON_BOOLEAN:
        return (struct colour){166, YEL, -1, -1, 0};
    case ST_URL_PUNCTUATION:
    case ST_URL_EXTENSION:
    case ST_HIGHLIGHT:
    case ST_CONTENT_NONE:
        return (struct colour){242, WHT, -1, -1, 0};
    case ST_URL_DOMAIN:
        return (struct colour){252, WHT, -1, -1, 0};
    case ST_URL_FILENAME:
        return (struct colour){132, MAG, -1, -1, 0};
    case ST_URL_QUERY_KEY:
        return (struct colour){37, CYN, -1, -1, 0};
    case ST_URL_QUERY_VALUE:
        return (struct colour){30, CYN, -1, -1, 0};
    case ST_COMMANDER_COMMAND:
        return (struct colour){33, BLU, -1, -1, 0};
    case ST_COMMANDER_INVALID:
        return (struct colour){166, RED, -1, -1, 0};
    case ST_COMMANDER_HINT:
        return (struct colour){241, WHT, -1, -1, 0};
    case ST_OPTION_ACTIVE:
        return (struct colour){166, RED, -1, -1, 0};
    case ST_OPTION_ACTIVE_SELECTED:
        return (struct colour){166, RED, 240, WHT, 0};
    case ST_FOCUSFIELD:
        return (struct colour){244, BLK, 235, WHT, 0};
    case ST_FOCUSFIELD_ERROR:
        return (struct colour){160, RED, 235, WHT, 0};
    case ST_FIELD_ERROR:
        return (struct colour){160, RED, -1, -1, 0};
    case ST_EDITFIELD:
        return (struct colour){245, WHT, -1, -1, 1};
    case ST_GRADIENT_0:
        return (struct colour){160, RED, -1, -1, 0};
    case ST_GRADIENT_1:
        return (struct colour){166, YEL, -1, -1, 0};
    case ST_GRADIENT_2:
        return (struct colour){136, YEL, -1, -1, 0};
    case ST_GRADIENT_3:
        return (struct colour){64, GRN, -1, -1, 0};
    default:
        return (struct colour){-1, -1, -1, -1, 0};
    }
}

static void
setup_colours(struct term *t)
{
    if (!has_colors() || start_color() == ERR) {
        t->colors = 0;
        return;
    }
    use_default_colors();
    t->colors = COLORS;
    for (int s = 0; s < ST__COUNT; s++) {
        struct colour c = style_colour((enum console_style)s);
        int many = COLORS >= 256;
        init_pair((short)(s + 1), many ? c.fg256 : c.fg8, many ? c.bg256 : c.bg8);
    }
}

static attr_t
style_attr(const struct term *t, unsigned s)
{
    if (t->colors == 0)
        return s == ST_HEADING || s == ST_OPTION_SELECTED ? A_REVERSE
               : s == ST_INTERCEPT || s == ST_HEADING_KEY ? A_BOLD
                                                          : A_NORMAL;
    attr_t a = COLOR_PAIR(s + 1);
    if (style_colour((enum console_style)s).bold)
        a |= A_BOLD;
    return a;
}

struct term *
console__term_new(struct err *e)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        err_set(e, MP_ERR_IO,
                "the console needs a terminal (stdin and stdout are not one); "
                "use mitmdump without one");
        return NULL;
    }
    struct term *t = xcalloc(1, sizeof(*t));
    if (pipe2(t->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
        err_set(e, MP_ERR_IO, "console: pipe: %s", strerror(errno));
        free(t);
        return NULL;
    }
    /* UTF-8 output needs the character type only (all of LC_ALL costs more). */
    setlocale(LC_CTYPE, "");
    /* A lone Escape is a key of its own (the prompt and the chooser take it). */
    setenv("ESCDELAY", "25", 0);
    t->screen = newterm(NULL, stdout, stdin);
    if (t->screen == NULL) {
        err_set(e, MP_ERR_IO, "console: cannot use the terminal '%s'",
                getenv("TERM") ? getenv("TERM") : "");
        close(t->pipe[0]);
        close(t->pipe[1]);
        free(t);
        return NULL;
    }
    set_term(t->screen);
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    leaveok(stdscr, FALSE);
    curs_set(0);
    setup_colours(t);
    /* After newterm, which installs a handler of its own that only a
     * getch() in progress would notice. */
    winch_fd = t->pipe[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigwinch;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, &t->old_winch);
    return t;
}

void
console__term_free(struct term *t)
{
    if (t == NULL)
        return;
    sigaction(SIGWINCH, &t->old_winch, NULL);
    winch_fd = -1;
    endwin();
    delscreen(t->screen);
    close(t->pipe[0]);
    close(t->pipe[1]);
    free(t);
}

void
console__term_suspend(struct term *t)
{
    if (t == NULL)
        return;
    def_prog_mode();
    endwin();
}

void
console__term_resume(struct term *t)
{
    if (t == NULL)
        return;
    reset_prog_mode();
    /* The editor drew over everything: the next paint sends every cell. */
    clearok(curscr, TRUE);
    refresh();
}

int
console__term_fd(const struct term *t)
{
    return STDIN_FILENO;
}

int
console__term_winch_fd(const struct term *t)
{
    return t->pipe[0];
}

void
console__term_resize(struct term *t)
{
    char drain[64];
    while (read(t->pipe[0], drain, sizeof(drain)) > 0)
        ;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
}

void
console__term_size(const struct term *t, int *rows, int *cols)
{
    *rows = LINES;
    *cols = COLS;
}

/* urwid's names for what curses reports. */
static const char *
function_key(wint_t k)
{
    switch (k) {
    case KEY_UP:
        return "up";
    case KEY_DOWN:
        return "down";
    case KEY_LEFT:
        return "left";
    case KEY_RIGHT:
        return "right";
    case KEY_PPAGE:
        return "page up";
    case KEY_NPAGE:
        return "page down";
    case KEY_HOME:
        return "home";
    case KEY_END:
        return "end";
    case KEY_ENTER:
        return "enter";
    case KEY_BACKSPACE:
        return "backspace";
    case KEY_DC:
        return "delete";
    case KEY_IC:
        return "insert";
    case KEY_BTAB:
        return "shift tab";
    default:
        return NULL;
    }
}

int
console__term_key(struct term *t, char *out, size_t outlen)
{
    wint_t k;
    for (;;) {
        int rc = wget_wch(stdscr, &k);
        if (rc == ERR)
            return 0;
        if (rc == KEY_CODE_YES) {
            if (k == KEY_RESIZE)
                continue;
            const char *name = function_key(k);
            if (name == NULL)
                continue;
            snprintf(out, outlen, "%s", name);
            return 1;
        }
        break;
    }
    if (k == '\r' || k == '\n')
        snprintf(out, outlen, "enter");
    else if (k == '\t')
        snprintf(out, outlen, "tab");
    else if (k == 127 || k == 8)
        snprintf(out, outlen, "backspace");
    else if (k == 27)
        snprintf(out, outlen, "esc");
    else if (k == ' ')
        snprintf(out, outlen, "space");
    else if (k >= 1 && k <= 26)
        snprintf(out, outlen, "ctrl %c", (char)('a' + k - 1));
    else if (k < 0x20)
        return console__term_key(t, out, outlen);
    else {
        char mb[8];
        mbstate_t st;
        memset(&st, 0, sizeof(st));
        size_t n = wcrtomb(mb, (wchar_t)k, &st);
        if (n == (size_t)-1)
            return console__term_key(t, out, outlen);
        snprintf(out, outlen, "%.*s", (int)n, mb);
    }
    return 1;
}

void
console__term_paint(struct term *t, const struct screen *scr, const char *palette)
{
    for (int r = 0; r < scr->rows && r < LINES; r++) {
        const struct sline *l = &scr->lines[r];
        const char *p = (const char *)buf_ptr(&l->text);
        move(r, 0);
        unsigned last = ST_TEXT;
        for (size_t s = 0; s < l->nspans; s++) {
            last = l->spans[s].style;
            attrset(style_attr(t, last));
            addnstr(p, (int)l->spans[s].len);
            p += l->spans[s].len;
        }
        /* The rest of a heading line keeps its colour; others are blank. */
        attrset(style_attr(t, last == ST_HEADING ? ST_HEADING : ST_TEXT));
        if (l->used < COLS)
            clrtoeol();
    }
    attrset(A_NORMAL);
    if (scr->cursor_row >= 0) {
        curs_set(1);
        move(scr->cursor_row, scr->cursor_col);
    } else {
        curs_set(0);
    }
    refresh();
}
