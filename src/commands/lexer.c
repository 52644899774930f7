/*
 * mitmproxy's command_lexer: a line is runs of white space, quoted strings
 * ("..." or '...', an unterminated one runs to the end) and runs of
 * anything else. Any input splits; whether it means something is for the
 * types to say.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "util/xmalloc.h"

static int
space(char c)
{
    return c == ' ' || c == '\r' || c == '\n' || c == '\t';
}

size_t
cmds_lex(const char *line, struct cmds_part **parts)
{
    size_t n = 0, cap = 8;
    struct cmds_part *v = xmalloc(cap * sizeof(*v));
    const char *p = line;
    while (*p) {
        const char *q = p;
        if (*p == '"' || *p == '\'') {
            const char *close = strchr(p + 1, *p);
            q = close ? close + 1 : p + strlen(p);
        } else if (space(*p)) {
            while (*q && space(*q))
                q++;
        } else {
            while (*q && !space(*q) && *q != '"' && *q != '\'')
                q++;
        }
        if (n == cap) {
            cap *= 2;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = (struct cmds_part){.p = p, .len = (size_t)(q - p),
                                    .type = space(*p) ? CMDS_NONE : CMDS_UNKNOWN};
        p = q;
    }
    *parts = v;
    return n;
}

void
cmds_quote(const char *value, struct buf *out)
{
    if (*value && strpbrk(value, "'\" \r\n\t") == NULL) {
        buf_append_str(out, value);
        return;
    }
    if (strchr(value, '"') == NULL) {
        buf_printf(out, "\"%s\"", value);
        return;
    }
    if (strchr(value, '\'') == NULL) {
        buf_printf(out, "'%s'", value);
        return;
    }
    /* Both quotes inside: double-quoted, with \x22 for each " (mitmproxy's
     * way; the str type turns it back). */
    buf_append(out, "\"", 1);
    for (const char *c = value; *c; c++) {
        if (*c == '"')
            buf_append_str(out, "\\x22");
        else
            buf_append(out, c, 1);
    }
    buf_append(out, "\"", 1);
}

char *
cmds_unquote(const char *p, size_t len)
{
    if (len > 1 && (p[0] == '"' || p[0] == '\'') && p[len - 1] == p[0])
        return xstrndup(p + 1, len - 2);
    return xstrndup(p, len);
}
