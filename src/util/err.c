#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

int
err_set(struct err *e, int code, const char *fmt, ...)
{
    if (e == NULL)
        return code;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return code;
}

void
err_clear(struct err *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = '\0';
    }
}

const char *
err_name(int code)
{
    switch (code) {
    case MP_OK:
        return "MP_OK";
#define X(name, c, str)                                                                            \
    case c:                                                                                        \
        return "MP_ERR_" #name;
        MP_ERR_MAP(X)
#undef X
    }
    return "MP_ERR_UNKNOWN";
}

const char *
err_str(int code)
{
    switch (code) {
    case MP_OK:
        return "success";
#define X(name, c, str)                                                                            \
    case c:                                                                                        \
        return str;
        MP_ERR_MAP(X)
#undef X
    }
    return "unknown error";
}
