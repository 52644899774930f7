#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static enum log_level level = LOG_INFO;
static log_sink_cb sink;
static void *sink_arg;

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
    sink = cb;
    sink_arg = arg;
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

void
log_vmsg(enum log_level l, const char *fmt, va_list ap)
{
    if (l > level)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (sink) {
        sink(l, msg, sink_arg);
    } else {
        fprintf(stderr, "%s\n", msg);
    }
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
