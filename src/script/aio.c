/*
 * asyncio on the proxy's loop (mitmproxy._asyncio.Loop): a hook that is a
 * coroutine runs as a task while its flow waits and every other flow goes
 * on, as in mitmproxy. Our loop watches the asyncio selector's epoll fd
 * (I/O and call_soon_threadsafe() from executor threads) and keeps one
 * timer for the next scheduled callback; either runs Loop.step(), which
 * never blocks. The watch and the timer exist from the first kick made
 * while the proxy's server is there, and go in script__aio_stop().
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include "core/server.h"
#include "master/master.h"
#include "util/log.h"

static PyObject *loop;   /* mitmproxy._asyncio.Loop */
static PyObject *starts; /* mitmproxy._asyncio.start */
static struct server_timer *timer;
static struct server_watch *watch;

int
script__aio_init(void)
{
    if (loop)
        return 0;
    PyObject *m = PyImport_ImportModule("mitmproxy._asyncio");
    loop = m ? PyObject_CallMethod(m, "loop", NULL) : NULL;
    starts = m ? PyObject_GetAttrString(m, "start") : NULL;
    Py_XDECREF(m);
    return loop && starts ? 0 : -1;
}

static void step(void *arg);

static void
on_ready(void *arg, int events)
{
    step(arg);
}

/* The watch and the timer, once the proxy's server exists. */
static int
attach(void)
{
    if (timer)
        return 0;
    struct server *srv = script__master ? master_server(script__master) : NULL;
    if (srv == NULL || loop == NULL)
        return -1;
    PyObject *fd = PyObject_CallMethod(loop, "fileno", NULL);
    long n = fd ? PyLong_AsLong(fd) : -1;
    Py_XDECREF(fd);
    if (n < 0) {
        PyErr_Clear();
        return -1;
    }
    struct err e = {0};
    watch = server_watch_fd(srv, (int)n, SERVER_READABLE, on_ready, NULL, &e);
    if (watch == NULL) {
        log_msg(LOG_ERROR, "scripts: asyncio: %s", e.msg);
        return -1;
    }
    timer = server_timer_new(srv, step, NULL);
    return 0;
}

static void
step(void *arg)
{
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *r = PyObject_CallMethod(loop, "step", NULL);
    long ms = r ? PyLong_AsLong(r) : -1;
    if (r == NULL)
        script__log_exception(NULL);
    Py_XDECREF(r);
    if (ms >= 0 && timer)
        server_timer_start(timer, (uint64_t)ms, 0);
    PyGILState_Release(g);
}

void
script__aio_kick(void)
{
    if (attach() == 0)
        server_timer_start(timer, 0, 0);
}

int
script__aio_start(PyObject *awaitable, PyObject *token, PyObject *resume)
{
    if (attach() < 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "async hooks need the proxy's event loop, which is not running here");
        return -1;
    }
    PyObject *t =
        PyObject_CallFunctionObjArgs(starts, awaitable, token, resume, script__log_exc, NULL);
    if (t == NULL)
        return -1;
    Py_DECREF(t);
    server_timer_start(timer, 0, 0);
    return 0;
}

void
script__aio_stop(void)
{
    if (loop) {
        PyObject *m = PyImport_ImportModule("mitmproxy._asyncio");
        PyObject *r = m ? PyObject_CallMethod(m, "shutdown", NULL) : NULL;
        if (r == NULL)
            script__log_exception(NULL);
        Py_XDECREF(r);
        Py_XDECREF(m);
    }
    server_unwatch(watch);
    server_timer_free(timer);
    watch = NULL;
    timer = NULL;
}
