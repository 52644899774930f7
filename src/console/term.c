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
    int colors;    /* the terminal's colours (0: none) */
    char *palette; /* owned; the palette the pairs hold, NULL before the first paint */
    int transparent;
    char bold[ST__COUNT];
    short pair[ST__COUNT]; /* each style's colour pair */
    int mouse;             /* mouse reports asked for (console_mouse) */
    /* Bright colours (8-15) drawn as bold dark ones, as urwid draws them on
     * any terminal whose TERM does not start with "xterm" (tmux, screen). */
    int bright_is_bold;
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
 * Colour pairs: one for each pair of colours the palette (palette.c) gives
 * a style or the background, so the styles share them: an 8-colour
 * terminal has 64. Set up again when the palette or its transparency
 * changes; a style past the terminal's last pair keeps the default colours.
 */
static short
pair_of(short *fgs, short *bgs, int *npairs, struct console_colour c)
{
    for (int i = 0; i < *npairs; i++)
        if (fgs[i] == c.fg && bgs[i] == c.bg)
            return (short)(i + 1);
    if (*npairs + 1 >= COLOR_PAIRS)
        return 0;
    fgs[*npairs] = c.fg;
    bgs[*npairs] = c.bg;
    init_pair((short)(*npairs + 1), c.fg, c.bg);
    return (short)++*npairs;
}

static void
setup_colours(struct term *t, const char *palette, int transparent)
{
    if (t->colors == 0)
        return;
    if (t->palette && palette && strcmp(t->palette, palette) == 0 && t->transparent == transparent)
        return;
    free(t->palette);
    t->palette = xstrdup(palette ? palette : "");
    t->transparent = transparent;
    short fgs[ST__COUNT + 1], bgs[ST__COUNT + 1];
    int npairs = 0;
    struct console_colour bg = console__palette_colour(palette, transparent, -1, COLORS);
    short bgpair = pair_of(fgs, bgs, &npairs, bg);
    for (int s = 0; s < ST__COUNT; s++) {
        struct console_colour c = console__palette_colour(palette, transparent, s, COLORS);
        if (t->bright_is_bold && c.fg >= 8 && c.fg < 16) {
            c.fg -= 8;
            c.bold = 1;
        }
        t->pair[s] = pair_of(fgs, bgs, &npairs, c);
        t->bold[s] = (char)c.bold;
    }
    /* Cleared cells take the palette's background (the terminal's own when
     * transparent), as urwid's "background" attribute under the window. */
    bkgdset(COLOR_PAIR(bgpair) | ' ');
    clearok(curscr, TRUE);
}

static void
start_colours(struct term *t)
{
    if (!has_colors() || start_color() == ERR) {
        t->colors = 0;
        return;
    }
    use_default_colors();
    t->colors = COLORS;
    const char *term = getenv("TERM");
    t->bright_is_bold = !term || strncmp(term, "xterm", 5) != 0;
}

static attr_t
style_attr(const struct term *t, unsigned s)
{
    if (t->colors == 0)
        return s == ST_HEADING || s == ST_OPTION_SELECTED ? A_REVERSE
               : s == ST_INTERCEPT || s == ST_HEADING_KEY ? A_BOLD
                                                          : A_NORMAL;
    if (s >= ST__COUNT)
        return A_NORMAL;
    attr_t a = COLOR_PAIR(t->pair[s]);
    if (t->bold[s])
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
    /* Home and End as tmux and screen (and rxvt) send them, whatever
     * TERM's terminfo says: urwid knows every one of these. */
    define_key("\033[1~", KEY_HOME);
    define_key("\033[4~", KEY_END);
    define_key("\033[7~", KEY_HOME);
    define_key("\033[8~", KEY_END);
    nodelay(stdscr, TRUE);
    leaveok(stdscr, FALSE);
    curs_set(0);
    start_colours(t);
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
    free(t->palette);
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

/* A press of the left button or of the wheel, as urwid names it: "mouse
 * press BUTTON COL ROW" (4 and 5 the wheel); 0 for anything else. */
static int
mouse_event(char *out, size_t outlen)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return 0;
    int button = ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED) ? 1
                 : ev.bstate & BUTTON4_PRESSED                   ? 4
                 : ev.bstate & BUTTON5_PRESSED                   ? 5
                                                                 : 0;
    if (button == 0)
        return 0;
    snprintf(out, outlen, "mouse press %d %d %d", button, ev.x, ev.y);
    return 1;
}

void
console__term_mouse(struct term *t, int on)
{
    if (t == NULL || t->mouse == on)
        return;
    t->mouse = on;
    /* Presses only, reported at once: no click resolution delay, and a
     * drag leaves the terminal's own selection alone where it can. */
    mousemask(on ? BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED : 0, NULL);
    mouseinterval(0);
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
            if (k == KEY_MOUSE) {
                if (mouse_event(out, outlen))
                    return 1;
                continue;
            }
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
console__term_paint(struct term *t, const struct screen *scr, const char *palette, int transparent)
{
    setup_colours(t, palette, transparent);
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
