/*
 * Error codes and the error struct that carries a human message.
 *
 * Functions return 0 or a negative MP_ERR_*. Where a person will read the
 * reason (command line, options, flow files, filters), the callee also fills
 * a struct err whose message names the bad part. err_set() accepts NULL.
 * Codes at or below MP_ERR_FATAL mean the object is dead: only free it.
 */
#ifndef MP_UTIL_ERR_H
#define MP_UTIL_ERR_H

#define MP_ERR_MAP(X)                                                                              \
    X(INCOMPLETE, -1, "more input needed")                                                         \
    X(INVAL, -2, "invalid argument")                                                               \
    X(SYNTAX, -3, "syntax error")                                                                  \
    X(LIMIT, -4, "limit exceeded")                                                                 \
    X(IO, -5, "input/output error")                                                                \
    X(NOTFOUND, -6, "not found")                                                                   \
    X(UNSUPPORTED, -7, "not supported")                                                            \
    X(CORRUPT, -8, "corrupt data")                                                                 \
    X(EXISTS, -9, "already exists")                                                                \
    X(PROTOCOL, -10, "protocol error")                                                             \
    X(FATAL, -900, "fatal error")

enum mp_err {
    MP_OK = 0,
#define X(name, code, str) MP_ERR_##name = code,
    MP_ERR_MAP(X)
#undef X
};

struct err {
    int code;
    char msg[256];
};

/* Fills e (if not NULL) and returns code, so callers can `return err_set(...)`. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void err_clear(struct err *e);
const char *err_name(int code);
const char *err_str(int code);

#endif
