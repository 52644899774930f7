/*
 * The script loader (mitmproxy's ScriptLoader and Script addons): one
 * addon in the chain, at ScriptLoader's place, that carries every script
 * given in the scripts option, in order. A script's module is an addon;
 * its `addons = [...]` are too, recursively (mitmproxy's traverse). Each
 * of mitmproxy's hooks becomes a call of the function of that name on
 * each of them, in that order.
 *
 * Errors in a script never reach the proxy: a script that does not import
 * is logged and left out, an exception in a hook is logged with its
 * traceback and the flow goes on as the script left it. Only a path that
 * is not a file is an error, as in mitmproxy ("No such script").
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addons/addon.h"
#include "contentviews/cv.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "script/script.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct script {
    char *path;     /* as the option has it */
    char *file;     /* the file it names, full; owned */
    char *args;     /* what follows the file name (sys.argv[1:]), or NULL; owned */
    PyObject *ns;   /* the module, or NULL when it failed to load */
    PyObject *objs; /* list: the module and its addons, depth first */
};

struct loader {
    struct addon base;
    struct script *v; /* owned array, in the option's order */
    size_t n;
    int running;
    /* Per hook, the functions the scripts define for it (a list), or
     * NULL when none does: then the hook costs nothing. */
    PyObject *calls[HOOK__COUNT];
    /* The scripts' add_log functions (a list, or NULL), and the log sink
     * that calls them while there are any (-1: none). */
    PyObject *add_log;
    int sink;
    int in_add_log;                /* an add_log that logs does not hear itself */
    pthread_t thread;              /* the loop's: add_log is called there only */
    struct script__reload *reload; /* owned */
    PyObject *helpers;             /* mitmproxy._loader */
};

static struct addon_ops loader_ops;
/* The loader (there is one per process), for script__addons(). */
static struct loader *the_loader;

/* mitmproxy strips quotes and blanks and expands ~. Returns a malloc'd path. */
static char *
full_path(const char *path)
{
    while (*path == ' ' || *path == '"' || *path == '\'')
        path++;
    size_t n = strlen(path);
    while (n && (path[n - 1] == ' ' || path[n - 1] == '"' || path[n - 1] == '\''))
        n--;
    const char *home = getenv("HOME");
    if (n && path[0] == '~' && (n == 1 || path[1] == '/') && home) {
        size_t hl = strlen(home);
        char *s = xmalloc(hl + n);
        memcpy(s, home, hl);
        memcpy(s + hl, path + 1, n - 1);
        s[hl + n - 1] = '\0';
        return s;
    }
    char *s = xmalloc(n + 1);
    memcpy(s, path, n);
    s[n] = '\0';
    return s;
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * A scripts entry is a path, or (the seeds' older spelling) a path and
 * the script's arguments: "script.py html faketml" sets sys.argv. The
 * whole entry is tried as a path first. *file is the full path (malloc'd;
 * it may not be a file: the caller checks), *args the rest or NULL.
 */
static void
split_spec(const char *spec, char **file, char **args)
{
    *args = NULL;
    *file = full_path(spec);
    if (is_file(*file))
        return;
    while (*spec == ' ')
        spec++;
    const char *sp = strchr(spec, ' ');
    if (sp == NULL)
        return;
    char *head = xstrndup(spec, (size_t)(sp - spec));
    char *full = full_path(head);
    free(head);
    if (!is_file(full)) {
        free(full);
        return;
    }
    free(*file);
    *file = full;
    *args = xstrdup(sp + 1);
}

/* Calls name(*args) on each addon object of objs that has it; an
 * exception is logged and the next one is called. */
static void
call_each(PyObject *objs, const char *name, PyObject *args)
{
    for (Py_ssize_t i = 0; objs && i < PyList_GET_SIZE(objs); i++) {
        PyObject *fn = PyObject_GetAttrString(PyList_GET_ITEM(objs, i), name);
        if (fn == NULL) {
            PyErr_Clear();
            continue;
        }
        PyObject *r =
            PyCallable_Check(fn) ? PyObject_Call(fn, args, NULL) : (Py_INCREF(Py_None), Py_None);
        if (r == NULL)
            script__log_exception(NULL);
        Py_XDECREF(r);
        Py_DECREF(fn);
    }
}

/* An empty tuple, or (x,) stealing x. */
static PyObject *
args_of(PyObject *x)
{
    if (x == NULL)
        return PyTuple_New(0);
    PyObject *t = PyTuple_Pack(1, x);
    Py_DECREF(x);
    return t;
}

/* The functions named name of every script's addons, in order (a new
 * list), or NULL when there are none. */
static PyObject *
functions_named(struct loader *l, const char *name)
{
    PyObject *calls = NULL;
    for (size_t i = 0; i < l->n; i++) {
        PyObject *objs = l->v[i].objs;
        for (Py_ssize_t j = 0; objs && j < PyList_GET_SIZE(objs); j++) {
            PyObject *fn = PyObject_GetAttrString(PyList_GET_ITEM(objs, j), name);
            if (fn == NULL) {
                PyErr_Clear();
                continue;
            }
            if (PyCallable_Check(fn)) {
                if (calls == NULL)
                    calls = PyList_New(0);
                if (calls && PyList_Append(calls, fn) < 0)
                    PyErr_Clear();
            }
            Py_DECREF(fn);
        }
    }
    return calls;
}

/* mitmproxy's add_log: every log line, as a LogEntry, on the loop's
 * thread (a line logged elsewhere is not a hook's business). */
static void
on_log(enum log_level level, const char *msg, void *arg)
{
    struct loader *l = arg;
    if (l->in_add_log || l->add_log == NULL || !pthread_equal(pthread_self(), l->thread))
        return;
    l->in_add_log = 1;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *entry =
        PyObject_CallMethod(l->helpers, "log_entry", "ss", msg, log_level_name(level));
    PyObject *args = entry ? PyTuple_Pack(1, entry) : NULL;
    PyObject *calls = l->add_log;
    Py_INCREF(calls);
    for (Py_ssize_t i = 0; args && i < PyList_GET_SIZE(calls); i++) {
        PyObject *r = PyObject_Call(PyList_GET_ITEM(calls, i), args, NULL);
        if (r == NULL)
            PyErr_Clear(); /* logging it would come back here */
        Py_XDECREF(r);
    }
    if (args == NULL)
        PyErr_Clear();
    Py_DECREF(calls);
    Py_XDECREF(args);
    Py_XDECREF(entry);
    PyGILState_Release(g);
    l->in_add_log = 0;
}

static void
rebuild_calls(struct loader *l)
{
    for (size_t h = 0; h < HOOK__COUNT; h++)
        Py_CLEAR(l->calls[h]);
    for (size_t k = 0; k < script__nhooks; k++) {
        enum hook h = script__hooks[k].hook;
        l->calls[h] = functions_named(l, hook_name(h));
    }
    Py_CLEAR(l->add_log);
    l->add_log = functions_named(l, "add_log");
    if (l->add_log && l->sink < 0)
        l->sink = log_add_sink(on_log, l, LOG_DEBUG);
    else if (l->add_log == NULL && l->sink >= 0) {
        log_remove_sink(l->sink);
        l->sink = -1;
    }
}

PyObject *
script__updated_set(const struct opt_changes *updated)
{
    PyObject *s = PySet_New(NULL);
    for (size_t i = 0; s && i < opt_count(); i++) {
        const struct opt_info *info = opt_at(i);
        if (!opt_changed(updated, info->index))
            continue;
        PyObject *name = PyUnicode_FromString(info->name);
        if (name == NULL || PySet_Add(s, name) < 0)
            Py_CLEAR(s);
        Py_XDECREF(name);
    }
    return s;
}

/* mitmproxy's Script.loadscript: import, register (load), configure. */
static void
load_script(struct loader *l, struct script *s)
{
    log_msg(LOG_INFO, "Loading script %s", s->path);
    if (s->file == NULL)
        split_spec(s->path, &s->file, &s->args);
    s->ns = PyObject_CallMethod(l->helpers, "load_script", "sz", s->file, s->args);
    if (s->ns == Py_None)
        Py_CLEAR(s->ns);
    if (s->ns == NULL) {
        if (PyErr_Occurred())
            script__log_exception(NULL);
        return;
    }
    s->objs = PyObject_CallMethod(l->helpers, "traverse", "O", s->ns);
    if (s->objs == NULL || !PyList_Check(s->objs)) {
        script__log_exception(NULL);
        Py_CLEAR(s->objs);
        return;
    }
    PyObject *args = args_of(PyObject_CallMethod(l->helpers, "Loader", NULL));
    if (args)
        call_each(s->objs, "load", args);
    else
        script__log_exception(NULL);
    Py_XDECREF(args);
    PyObject *r = PyObject_CallMethod(l->helpers, "register_commands", "O", s->objs);
    if (r == NULL)
        script__log_exception(NULL);
    Py_XDECREF(r);
    if ((args = args_of(script__updated_set(NULL))) != NULL)
        call_each(s->objs, "configure", args);
    Py_XDECREF(args);
    if (l->running) {
        args = PyTuple_New(0);
        call_each(s->objs, "running", args);
        Py_XDECREF(args);
    }
}

/* mitmproxy's done for one script: the version loaded now ends and its
 * module and addons go; the entry stays, for a reload or for the caller
 * to free. */
static void
stop_script(struct script *s)
{
    PyObject *args = PyTuple_New(0);
    call_each(s->objs, "done", args);
    Py_XDECREF(args);
    Py_CLEAR(s->objs);
    Py_CLEAR(s->ns);
}

static void
unload_script(struct script *s)
{
    stop_script(s);
    free(s->path);
    free(s->file);
    free(s->args);
    s->file = s->args = NULL;
}

/*
 * A script was saved (reload.c): done on the old version, then load,
 * configure and running on the new one, as mitmproxy's Script does. A new
 * version that does not import is logged and leaves the script without
 * hooks until it is saved again; the proxy keeps serving.
 */
static void
changed(void *arg, const char *file)
{
    struct loader *l = arg;
    PyGILState_STATE g = PyGILState_Ensure();
    for (size_t i = 0; i < l->n; i++) {
        struct script *s = &l->v[i];
        if (s->file == NULL || strcmp(s->file, file) != 0)
            continue;
        log_msg(LOG_INFO, "Reloading script %s", s->path);
        stop_script(s);
        load_script(l, s);
    }
    rebuild_calls(l);
    script__aio_kick();
    PyGILState_Release(g);
}

static struct script *
find(struct script *v, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].path && strcmp(v[i].path, path) == 0)
            return &v[i];
    return NULL;
}

/*
 * mitmproxy's ScriptLoader.configure for a new scripts option: scripts no
 * longer named are unloaded (done), those still named keep their state
 * and take their new place, new ones are loaded. Checked first, so a bad
 * list changes nothing.
 */
static int
set_scripts(struct loader *l, const struct strv *paths, struct err *e)
{
    for (size_t i = 0; i < paths->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(paths->v[i], paths->v[j]) == 0) {
                err_set(e, MP_ERR_INVAL, "Duplicate script");
                return MP_ERR_INVAL;
            }
        }
        char *full, *args;
        split_spec(paths->v[i], &full, &args);
        int ok = is_file(full);
        free(full);
        free(args);
        if (!ok) {
            err_set(e, MP_ERR_NOTFOUND, "No such script: %s", paths->v[i]);
            return MP_ERR_NOTFOUND;
        }
    }
    for (size_t i = 0; i < l->n; i++) {
        int kept = 0;
        for (size_t j = 0; j < paths->n; j++)
            kept |= strcmp(l->v[i].path, paths->v[j]) == 0;
        if (!kept) {
            log_msg(LOG_INFO, "Un-loading script: %s", l->v[i].path);
            unload_script(&l->v[i]);
            l->v[i].path = NULL;
        }
    }
    struct script *next = xcalloc(paths->n ? paths->n : 1, sizeof(*next));
    for (size_t i = 0; i < paths->n; i++) {
        struct script *old = find(l->v, l->n, paths->v[i]);
        if (old) {
            next[i] = *old;
            old->path = NULL;
        } else {
            next[i].path = xstrdup(paths->v[i]);
        }
    }
    free(l->v);
    l->v = next;
    l->n = paths->n;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].ns == NULL && l->v[i].objs == NULL)
            load_script(l, &l->v[i]);
        if (l->v[i].file)
            script__reload_add(l->reload, l->v[i].file);
    }
    rebuild_calls(l);
    return 0;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct loader *l = (struct loader *)a;
    PyGILState_STATE g = PyGILState_Ensure();
    const struct options *outer = script__configuring;
    script__configuring = o;
    /* The scripts already there hear of the change; new ones are
     * configured with every option as they load. */
    size_t before = l->n;
    PyObject *args = before ? args_of(script__updated_set(updated)) : NULL;
    for (size_t i = 0; args && i < before; i++)
        call_each(l->v[i].objs, "configure", args);
    Py_XDECREF(args);
    int rc = 0;
    if (updated == NULL || opt_changed(updated, OPT_INDEX_scripts))
        rc = set_scripts(l, &o->scripts, e);
    script__configuring = outer;
    /* What load() and configure() started on the asyncio loop runs. */
    script__aio_kick();
    PyGILState_Release(g);
    return rc;
}

static void
running(struct addon *a)
{
    struct loader *l = (struct loader *)a;
    PyGILState_STATE g = PyGILState_Ensure();
    l->running = 1;
    PyObject *args = PyTuple_New(0);
    for (size_t i = 0; args && i < l->n; i++)
        call_each(l->v[i].objs, "running", args);
    Py_XDECREF(args);
    script__reload_attach(l->reload);
    script__aio_kick();
    PyGILState_Release(g);
}

/*
 * What scripts print() to sys.stdout or sys.stderr goes out now: Python is
 * never finalized here, which is where a standalone interpreter flushes
 * them, so a script's last lines would be lost when they are a pipe or file.
 */
static void
flush_std(void)
{
    static const char *const names[] = {"stdout", "stderr"};
    for (size_t i = 0; i < 2; i++) {
        PyObject *f = PySys_GetObject(names[i]); /* borrowed */
        PyObject *r = f && f != Py_None ? PyObject_CallMethod(f, "flush", NULL) : NULL;
        Py_XDECREF(r);
        PyErr_Clear();
    }
}

static void
done(struct addon *a)
{
    struct loader *l = (struct loader *)a;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *args = PyTuple_New(0);
    for (size_t i = 0; args && i < l->n; i++)
        call_each(l->v[i].objs, "done", args);
    Py_XDECREF(args);
    flush_std();
    /* The server stopped: its handles go before it does. */
    script__aio_stop();
    script__reload_detach(l->reload);
    PyGILState_Release(g);
}

static void
loader_free(struct addon *a)
{
    struct loader *l = (struct loader *)a;
    PyGILState_Ensure(); /* for good: nothing runs Python after this */
    /* Views that scripts added and never removed hold Python objects. */
    cv_view_remove_all();
    for (size_t i = 0; i < l->n; i++) {
        Py_CLEAR(l->v[i].objs);
        Py_CLEAR(l->v[i].ns);
        free(l->v[i].path);
        free(l->v[i].file);
        free(l->v[i].args);
    }
    free(l->v);
    script__reload_free(l->reload);
    if (the_loader == l)
        the_loader = NULL;
    for (size_t h = 0; h < HOOK__COUNT; h++)
        Py_CLEAR(l->calls[h]);
    if (l->sink >= 0)
        log_remove_sink(l->sink);
    Py_CLEAR(l->add_log);
    Py_CLEAR(l->helpers);
    free(l);
}

/*
 * One hook call going through the scripts' functions. A function that
 * returns an awaitable (an async def hook, @concurrent) runs as a task on
 * the asyncio loop (aio.c); the call is deferred and goes on with the next
 * function when the task is through, so the flow waits and nothing else
 * does.
 */
struct pending {
    struct hook_call *call; /* borrowed until addon_resume() */
    PyObject *calls;        /* the functions, as when the call started */
    PyObject *args;
    Py_ssize_t next;
    int on_stack; /* on_hook's own, until a function is awaited */
};

static PyObject *py_resume(PyObject *self, PyObject *token);
static PyMethodDef resume_def = {"_hook_resume", py_resume, METH_O, NULL};
static PyObject *resume_fn; /* PyCFunction of resume_def */

static void
pending_free(struct pending *p)
{
    Py_XDECREF(p->calls);
    Py_XDECREF(p->args);
    if (!p->on_stack)
        free(p);
}

/*
 * Runs the functions from (*pp)->next on. 1 when one is awaited: *pp is
 * then on the heap (moved there if it was on_hook's) and lives until its
 * task resumes it. 0 when all are through. The usual hook, where nothing
 * is awaited, allocates nothing.
 */
static int
run_calls(struct pending **pp)
{
    struct pending *p = *pp;
    while (p->next < PyList_GET_SIZE(p->calls)) {
        PyObject *fn = PyList_GET_ITEM(p->calls, p->next++);
        PyObject *r = PyObject_Call(fn, p->args, NULL);
        if (r == NULL) {
            script__log_exception(NULL);
            continue;
        }
        if (r == Py_None || (!PyCoro_CheckExact(r) && !PyObject_HasAttrString(r, "__await__"))) {
            Py_DECREF(r);
            continue;
        }
        if (p->on_stack) {
            struct pending *h = xmalloc(sizeof(*h));
            *h = *p;
            h->on_stack = 0;
            *pp = p = h;
        }
        PyObject *token = PyCapsule_New(p, "mitmproxy.hook", NULL);
        int rc = token ? script__aio_start(r, token, resume_fn) : -1;
        Py_XDECREF(token);
        if (rc < 0) {
            script__log_exception(NULL);
            if (PyCoro_CheckExact(r)) {
                /* Never awaited: closing it keeps Python from warning later. */
                PyObject *c = PyObject_CallMethod(r, "close", NULL);
                Py_XDECREF(c);
                PyErr_Clear();
            }
            Py_DECREF(r);
            continue;
        }
        Py_DECREF(r);
        return 1;
    }
    return 0;
}

/* A task of a deferred call is through: on with the next function, and
 * with the chain once they all are. */
static PyObject *
py_resume(PyObject *self, PyObject *token)
{
    struct pending *p = PyCapsule_GetPointer(token, "mitmproxy.hook");
    if (p == NULL)
        return NULL;
    if (run_calls(&p) == 0) {
        struct hook_call *call = p->call;
        pending_free(p);
        addon_resume(call);
    }
    Py_RETURN_NONE;
}

/* Every hook of the table: its functions, one after the other. */
static enum addon_result
on_hook(struct addon *a, struct hook_call *call)
{
    struct loader *l = (struct loader *)a;
    enum hook h = call->data->hook;
    if (l->calls[h] == NULL)
        return ADDON_CONTINUE;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *args = script__hook_find(h)->args(call->data);
    if (args == NULL) {
        if (PyErr_Occurred())
            script__log_exception(NULL);
        PyGILState_Release(g);
        return ADDON_CONTINUE;
    }
    /* A script that reloads the scripts option from a hook replaces the
     * list; this call keeps the one it started with. */
    struct pending local = {.call = call, .calls = l->calls[h], .args = args, .on_stack = 1};
    struct pending *p = &local;
    Py_INCREF(p->calls);
    enum addon_result res = ADDON_CONTINUE;
    if (run_calls(&p))
        res = ADDON_DEFER;
    else
        pending_free(p);
    PyGILState_Release(g);
    return res;
}

PyObject *
script__addons(PyObject *self, PyObject *unused)
{
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out && the_loader && i < the_loader->n; i++) {
        PyObject *objs = the_loader->v[i].objs;
        for (Py_ssize_t j = 0; out && objs && j < PyList_GET_SIZE(objs); j++)
            if (PyList_Append(out, PyList_GET_ITEM(objs, j)) < 0)
                Py_CLEAR(out);
    }
    return out;
}

struct addon *
script_loader_new(struct master *m, const char *pydir, struct err *e)
{
    if (script_py_start(pydir, e) < 0)
        return NULL;
    script__master = m;
    PyObject *helpers = PyImport_ImportModule("mitmproxy._loader");
    if (helpers && resume_fn == NULL)
        resume_fn = PyCFunction_New(&resume_def, NULL);
    if (helpers && (resume_fn == NULL || script__aio_init() < 0))
        Py_CLEAR(helpers);
    if (helpers == NULL) {
        PyErr_Print();
        err_set(e, MP_ERR_INVAL, "scripts: mitmproxy._loader does not import");
        return NULL;
    }
    loader_ops.name = "scriptloader";
    loader_ops.configure = configure;
    loader_ops.running = running;
    loader_ops.done = done;
    loader_ops.free = loader_free;
    for (size_t k = 0; k < script__nhooks; k++)
        loader_ops.hooks[script__hooks[k].hook] = on_hook;
    struct loader *l = xcalloc(1, sizeof(*l));
    l->base.ops = &loader_ops;
    l->helpers = helpers;
    l->sink = -1;
    l->thread = pthread_self();
    l->reload = script__reload_new(changed, l);
    the_loader = l;
    /* The proxy's thread lets go of the GIL between calls into Python, so
     * that @concurrent hooks and run_in_executor() threads run; every
     * entry from C takes it (PyGILState_Ensure). The unit tests (no
     * master) keep it. */
    if (m)
        PyEval_SaveThread();
    return &l->base;
}
