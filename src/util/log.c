#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define MAX_SINKS 16

struct sink {
    log_sink_cb cb; /* NULL: a free slot */
    void *arg;
    int level;      /* -1: the global level */
};

static enum log_level level = LOG_INFO;
static struct sink sinks[MAX_SINKS];
static int nsinks; /* slots in use, free ones included: sinks[0 .. nsinks) */

void
log_set_level(enum log_level l)
{
    level = l;
}

enum log_level
log_get_level(void)
{
    return level;
}

void
log_set_sink(log_sink_cb cb, void *arg)
{
    memset(sinks, 0, sizeof(sinks));
    nsinks = 0;
    if (cb)
        log_add_sink(cb, arg, -1);
}

int
log_add_sink(log_sink_cb cb, void *arg, int lvl)
{
    for (int i = 0; i < MAX_SINKS; i++) {
        if (sinks[i].cb == NULL) {
            sinks[i] = (struct sink){cb, arg, lvl};
            if (i >= nsinks)
                nsinks = i + 1;
            return i;
        }
    }
    return -1;
}

void
log_remove_sink(int id)
{
    if (id >= 0 && id < MAX_SINKS)
        sinks[id].cb = NULL;
    while (nsinks > 0 && sinks[nsinks - 1].cb == NULL)
        nsinks--;
}

void
log_set_sink_level(int id, int lvl)
{
    if (id >= 0 && id < MAX_SINKS)
        sinks[id].level = lvl;
}

const char *
log_level_name(enum log_level l)
{
    switch (l) {
#define X(name, n, str)                                                                            \
    case LOG_##name:                                                                               \
        return str;
        LOG_LEVEL_MAP(X)
#undef X
    }
    return "?";
}

int
log_level_parse(const char *s)
{
#define X(name, n, str)                                                                            \
    if (strcmp(s, str) == 0)                                                                       \
        return n;
    LOG_LEVEL_MAP(X)
#undef X
    return -1;
}

static int
admits(const struct sink *s, enum log_level l)
{
    return s->cb && (int)l <= (s->level < 0 ? (int)level : s->level);
}

void
log_vmsg(enum log_level l, const char *fmt, va_list ap)
{
    /* Format only when someone will read the line. */
    int any = 0, have_sink = 0;
    for (int i = 0; i < nsinks; i++) {
        have_sink |= sinks[i].cb != NULL;
        any |= admits(&sinks[i], l);
    }
    if (!have_sink)
        any = l <= level;
    if (!any)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (!have_sink) {
        fprintf(stderr, "%s\n", msg);
        return;
    }
    for (int i = 0; i < nsinks; i++)
        if (admits(&sinks[i], l))
            sinks[i].cb(l, msg, sinks[i].arg);
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(l, fmt, ap);
    va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
    int saved = errno;
    char msg[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(LOG_WARN, "%s: %s", msg, strerror(saved));
}

void
log_warnx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_WARN, fmt, ap);
    va_end(ap);
}

void
log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_INFO, fmt, ap);
    va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_DEBUG, fmt, ap);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fatal: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", strerror(saved));
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fatal: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}
