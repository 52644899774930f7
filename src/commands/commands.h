/*
 * Commands (mitmproxy's command.py, command_lexer.py and types.py): named,
 * typed functions that the console's ':' prompt and key bindings, the web
 * UI, scripts (ctx.master.commands) and `--commands` all reach through one
 * registry. Addons register theirs; arguments arrive as strings and are
 * parsed by their declared type ("flow[]" from "@marked" or "~q", "int",
 * "path", ...), so every caller gets the same checks and the same errors.
 *
 *   replay.client @marked
 *   flow.comment @focus "a comment with spaces"
 *   set anticache=true
 *
 * A command line is split as mitmproxy's lexer does: runs of white space,
 * quoted strings ("..." or '...', an unterminated one runs to the end) and
 * runs of anything else; quotes are then removed from each argument.
 *
 * Everything here runs on the loop's thread.
 */
#ifndef MP_COMMANDS_COMMANDS_H
#define MP_COMMANDS_COMMANDS_H

#include <stddef.h>

#include "options/opt.h"
#include "util/buf.h"
#include "util/err.h"

struct flow;

/* mitmproxy's command types, with the names --commands shows. */
#define CMDS_TYPE_MAP(X)                                                                           \
    X(NONE, "")                                                                                    \
    X(STR, "str")                                                                                  \
    X(BYTES, "bytes")                                                                              \
    X(INT, "int")                                                                                  \
    X(BOOL, "bool")                                                                                \
    X(PATH, "path")                                                                                \
    X(CMD, "cmd")                                                                                  \
    X(ARG, "arg")                                                                                  \
    X(STRS, "str[]")                                                                               \
    X(CUTSPEC, "cut[]")                                                                            \
    X(FLOW, "flow")                                                                                \
    X(FLOWS, "flow[]")                                                                             \
    X(DATA, "data[][]")                                                                            \
    X(CHOICE, "choice")                                                                            \
    X(MARKER, "marker")                                                                            \
    X(UNKNOWN, "unknown")

enum cmds_type {
#define X(name, str) CMDS_##name,
    CMDS_TYPE_MAP(X)
#undef X
};

const char *cmds_type_name(enum cmds_type);

/* A list of flows, one reference each. */
struct cmds_flows {
    struct flow **v;
    size_t n;
};

/* A table of cells (cut's result): rows of columns of bytes. */
struct cmds_data {
    struct buf *cells; /* rows * cols, row-major */
    size_t rows, cols;
};

/* An argument or a result: the member that type says. Owned by whoever
 * holds the value; cmds_value_clear() frees it. */
struct cmds_value {
    enum cmds_type type;
    char *s;               /* STR PATH CMD ARG CHOICE MARKER UNKNOWN (text), BYTES */
    size_t len;            /* BYTES: the length of s */
    long i;                /* INT */
    int b;                 /* BOOL */
    struct strv strs;      /* STRS, CUTSPEC */
    struct flow *flow;     /* FLOW: one reference */
    struct cmds_flows flows; /* FLOWS */
    struct cmds_data data; /* DATA */
};

void cmds_value_clear(struct cmds_value *);

struct cmds;
struct cmds_call;

/*
 * A command's function: c holds the arguments, parsed by their types
 * (cmds_arg()); it sets the result with cmds_return_*() when the command
 * returns something. Returns 0 or a negative MP_ERR_* with e saying why.
 */
typedef int (*cmds_fn)(void *arg, struct cmds_call *c, struct err *e);

/*
 * Where the strings of a "choice" parameter come from: mitmproxy names a
 * command returning them (export.formats for export's format).
 */
struct cmds_param {
    const char *name;
    enum cmds_type type;
    /* 1: the last parameter, which takes any number ("*value");
     * CMDS_OPTIONAL: it and those after it may be left out (a Python
     * default; shown without a mark, as mitmproxy shows it). */
    int variadic;
    const char *choices_cmd; /* CHOICE: the command that lists the choices */
};
#define CMDS_OPTIONAL 2

/*
 * Resolves a flow specification ("@all", "@focus", "@marked", "~q", an id)
 * for FLOW and FLOWS parameters: the flow store provides it (mitmproxy's
 * view addon). Fills out with references; returns 0 or MP_ERR_* with e.
 */
typedef int (*cmds_resolve_cb)(void *arg, const char *spec, struct cmds_flows *out,
                               struct err *e);

struct cmds *cmds_new(void);
void cmds_free(struct cmds *);
void cmds_set_resolver(struct cmds *, cmds_resolve_cb, void *arg);

/*
 * Adds a command (names and help are copied). help is one paragraph,
 * wrapped for display as mitmproxy wraps docstrings. A name added again
 * replaces the command (a script reloaded).
 */
int cmds_add(struct cmds *, const char *name, const char *help, const struct cmds_param *params,
             size_t nparams, enum cmds_type ret, cmds_fn fn, void *arg, struct err *e);
/* Whether a command of that name exists. */
int cmds_has(const struct cmds *, const char *name);
/* Names of every command, sorted (borrowed until the next cmds_add). */
size_t cmds_names(const struct cmds *, const char ***names);
/* "name params -> ret", as --commands and the console's help show it. */
void cmds_signature(const struct cmds *, const char *name, struct buf *out);
/* The help of a command (borrowed), or NULL. */
const char *cmds_help(const struct cmds *, const char *name);

/*
 * Calls a command with string arguments (mitmproxy's call_strings): each is
 * parsed by its parameter's type; the result, if any, goes to ret (cleared
 * first; may be NULL). Errors: "Unknown command: x", argument count, an
 * argument its type refuses ("Invalid flow specification: ..."), or the
 * command's own.
 */
int cmds_call(struct cmds *, const char *name, const char *const *args, size_t nargs,
              struct cmds_value *ret, struct err *e);
/*
 * The same with arguments a caller already holds as values (a script's
 * flows, bytes and booleans): an argument whose type is its parameter's
 * (a FLOW also for a FLOWS parameter) is passed as it is; any other is
 * parsed from its text, s, as cmds_call parses a string. args stay the
 * caller's.
 */
int cmds_call_values(struct cmds *, const char *name, const struct cmds_value *args, size_t nargs,
                     struct cmds_value *ret, struct err *e);
/* Parses a whole command line and calls it (mitmproxy's execute). */
int cmds_execute(struct cmds *, const char *line, struct cmds_value *ret, struct err *e);

/* One piece of a command line being typed, for highlighting and completion. */
struct cmds_part {
    const char *p; /* into the line; borrowed */
    size_t len;
    enum cmds_type type; /* what this position expects; CMDS_NONE for white space */
    int valid;           /* whether the text parses as that type */
};
/*
 * mitmproxy's parse_partial: splits line and types each piece by the
 * command it names, so a UI can colour what is invalid. Fills parts (owned;
 * free()) and returns their number; *next (may be NULL) gets the type the
 * next argument would have (CMDS_NONE when the command takes no more).
 */
size_t cmds_parse_partial(struct cmds *, const char *line, struct cmds_part **parts,
                          enum cmds_type *next);

/* Prints every command as `mitmdump --commands` does. */
void cmds_dump(const struct cmds *, void *file);

/* The split of a line into pieces (white space runs included). */
size_t cmds_lex(const char *line, struct cmds_part **parts);
/* mitmproxy's quote(): value as an argument that reads back as itself. */
void cmds_quote(const char *value, struct buf *out);
/* mitmproxy's unquote(): a piece without its quotes (copied, NUL-terminated). */
char *cmds_unquote(const char *p, size_t len);

/* Inside a command's function. */
size_t cmds_nargs(const struct cmds_call *);
const struct cmds_value *cmds_arg(const struct cmds_call *, size_t i);
struct cmds *cmds_of(const struct cmds_call *);
void cmds_return_str(struct cmds_call *, const char *s);
void cmds_return_int(struct cmds_call *, long v);
void cmds_return_bool(struct cmds_call *, int v);
/* Takes sv's strings (sv is left empty). */
void cmds_return_strs(struct cmds_call *, struct strv *sv);
/* Takes the value (v is left empty). */
void cmds_return_value(struct cmds_call *, struct cmds_value *v);

#endif
