/*
 * Logging. Levels are mitmproxy's (error, warn, info, alert, debug); where the
 * lines go is set once by the tool (mitmdump writes them to stdout, in order
 * with the flow lines). log_warn() appends strerror(errno), log_warnx() does
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

void log_set_level(enum log_level);
enum log_level log_get_level(void);
void log_set_sink(log_sink_cb, void *arg);
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
