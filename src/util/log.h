/*
 * Logging. Levels are mitmproxy's (error, warn, info, alert, debug). Lines go
 * to every sink whose level admits them (mitmdump's terminal at
 * termlog_verbosity, a UI's event log at its own level, ...); without a
 * sink they go to stderr at the global level. Sinks are added and removed
 * on the loop's thread; a sink is called on the thread that logs. log_warn() appends strerror(errno), log_warnx() does
 * not (OpenBSD log.h). fatal()/fatalx() are for start-up and impossible
 * states only, never for network input.
 */
#ifndef MP_UTIL_LOG_H
#define MP_UTIL_LOG_H

#include <stdarg.h>

#define LOG_LEVEL_MAP(X)                                                                           \
    X(ERROR, 0, "error")                                                                           \
    X(WARN, 1, "warn")                                                                             \
    X(INFO, 2, "info")                                                                             \
    X(ALERT, 3, "alert")                                                                           \
    X(DEBUG, 4, "debug")

enum log_level {
#define X(name, n, str) LOG_##name = n,
    LOG_LEVEL_MAP(X)
#undef X
};

/* Receives every line at or below the configured level; msg has no newline. */
typedef void (*log_sink_cb)(enum log_level, const char *msg, void *arg);

/* The level of stderr (when there is no sink) and of sinks added with level -1. */
void log_set_level(enum log_level);
enum log_level log_get_level(void);
/* Replaces every sink with this one (NULL: none, lines go to stderr). */
void log_set_sink(log_sink_cb, void *arg);
/* Adds a sink for lines at or below level (-1: the global level); returns
 * its id for log_remove_sink() and log_set_sink_level(). At most 16. */
int log_add_sink(log_sink_cb, void *arg, int level);
void log_remove_sink(int id);
void log_set_sink_level(int id, int level);
const char *log_level_name(enum log_level);
/* Parses "error".."debug"; returns -1 for an unknown name. */
int log_level_parse(const char *);

void log_msg(enum log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level, const char *fmt, va_list);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
