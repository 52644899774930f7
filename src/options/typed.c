/*
 * The typed text options: mitmproxy's float, Optional[int], Optional[float]
 * and Optional[bool], which scripts declare. They live as STR/OPTSTR text
 * (see enum opt_value); here their values are checked and spelt one way, so
 * `--options`, options.save and the console show what 8.1.1 would and two
 * spellings of one value are never a change.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options/internal.h"
#include "options/opt.h"
#include "util/xmalloc.h"

static int
canon_int(const char *s, char **out)
{
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    char txt[32];
    snprintf(txt, sizeof(txt), "%ld", v);
    *out = xstrdup(txt);
    return 0;
}

/* Python's repr of a float: the fewest digits that read back the same,
 * positional for exponents -4..15 and scientific beyond. */
static int
canon_float(const char *s, char **out)
{
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* Non-finite values would need YAML's .inf spellings: not accepted. */
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -1;
    char txt[400];
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(txt, sizeof(txt), "%.*e", digits - 1, v);
        if (strtod(txt, NULL) == v)
            break;
    }
    snprintf(txt, sizeof(txt), "%.*e", digits - 1, v);
    int exp = atoi(strchr(txt, 'e') + 1);
    if (exp >= -4 && exp < 16) {
        int decimals = digits - 1 - exp;
        snprintf(txt, sizeof(txt), "%.*f", decimals > 0 ? decimals : 0, v);
        if (strchr(txt, '.') == NULL)
            strcat(txt, ".0");
    }
    *out = xstrdup(txt);
    return 0;
}

static int
canon_bool(const char *s, char **out)
{
    if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
        return -1;
    *out = xstrdup(s);
    return 0;
}

int
opt__typed_text(const struct opt_info *info, const char *value, char **out, struct err *e)
{
    switch (info->value) {
    case OPT_VALUE_TEXT:
        *out = xstrdup(value);
        return 0;
    case OPT_VALUE_INT:
        if (canon_int(value, out) < 0)
            return err_set(e, MP_ERR_INVAL, "%s: invalid integer '%s'", info->name, value);
        return 0;
    case OPT_VALUE_FLOAT:
        if (canon_float(value, out) < 0)
            return err_set(e, MP_ERR_INVAL, "%s: invalid float '%s'", info->name, value);
        return 0;
    case OPT_VALUE_BOOL:
        if (canon_bool(value, out) < 0)
            return err_set(e, MP_ERR_INVAL, "%s: invalid boolean '%s' (valid: true, false)",
                           info->name, value);
        return 0;
    }
    return err_set(e, MP_ERR_INVAL, "%s: bad value kind", info->name);
}
