/*
 * What the script tests share: the interpreter started on our python/
 * package (the tests run from the repository root, tests/lib/runner.c),
 * Python code run against a C flow, and the requests and script files the
 * tests hand it. Include it first: it includes Python.h, which the C API
 * wants before any system header.
 */
#ifndef MP_TESTS_SCRIPT_TSCRIPT_H
#define MP_TESTS_SCRIPT_TSCRIPT_H

#include "script/internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "flow/flow.h"
#include "http/message.h"
#include "script/script.h"
#include "../lib/test.h"

/* The full path of our python/ directory. */
static inline const char *
tscript_pydir(void)
{
    static char pydir[PATH_MAX];
    if (pydir[0] == '\0')
        ASSERT(realpath("python", pydir) != NULL);
    return pydir;
}

/* Starts the interpreter (script_py_start() does it once per process). */
static inline void
tscript_start(void)
{
    struct err e = {0};
    if (script_py_start(tscript_pydir(), &e) < 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
}

/* Runs code with f bound to the mitmproxy flow over flow (an HTTPFlow,
 * DNSFlow, ... by its type; none for NULL); fails on an exception. */
static inline void
tscript_run(struct flow *flow, const char *code)
{
    PyObject *g = PyDict_New();
    PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins());
    if (flow) {
        PyObject *f = script__wrap_flow(flow);
        ASSERT(f != NULL);
        PyDict_SetItemString(g, "f", f);
        Py_DECREF(f);
    }
    PyObject *r = PyRun_String(code, Py_file_input, g, g);
    if (r == NULL) {
        PyErr_Print();
        test_fail(__FILE__, __LINE__, "Python raised in: %s", code);
    }
    Py_DECREF(r);
    Py_DECREF(g);
}

/* A new request for http://example.com:80 with that method and path, over
 * HTTP/1.1 and without headers; the caller owns it (or the flow it goes
 * to does). */
static inline struct http_request *
tscript_request(const char *method, const char *path)
{
    struct http_request *r = http_request_new();
    http_set_str(&r->host, "example.com");
    r->port = 80;
    http_set_str(&r->method, method);
    http_set_str(&r->scheme, "http");
    http_set_str(&r->path, path);
    http_set_str(&r->http_version, "HTTP/1.1");
    return r;
}

/* Writes text to the file at path (a script for the loader to load). */
static inline void
tscript_write(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ASSERT(fp != NULL);
    fputs(text, fp);
    fclose(fp);
}

#endif
