/*
 * Hot reload: saving a script reloads it (mitmproxy polls every second; we
 * hear of it from inotify at once). Each script's directory is watched,
 * not the file, because editors save by writing a new file and renaming
 * it over the old one (IN_MOVED_TO) as often as in place (IN_CLOSE_WRITE).
 * The fd is watched by the proxy's loop from the first attach made while
 * its server is there; until then nothing is reloaded.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/server.h"
#include "master/master.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct watched {
    int wd;
    char *path; /* the script's full path; owned */
};

struct script__reload {
    int fd; /* inotify; -1 if it could not be made */
    struct watched *v;
    size_t n;
    struct server_watch *watch;
    script__changed_cb changed;
    void *arg;
};

struct script__reload *
script__reload_new(script__changed_cb changed, void *arg)
{
    struct script__reload *r = xcalloc(1, sizeof(*r));
    r->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (r->fd < 0)
        log_msg(LOG_WARN, "scripts: no hot reload: inotify: %s", strerror(errno));
    r->changed = changed;
    r->arg = arg;
    return r;
}

void
script__reload_add(struct script__reload *r, const char *path)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].path, path) == 0)
            return;
    if (r->fd < 0)
        return;
    char dir[PATH_MAX] = ".";
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof(dir))
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int wd = inotify_add_watch(r->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO);
    if (wd < 0) {
        log_msg(LOG_WARN, "scripts: cannot watch %s for changes: %s", dir, strerror(errno));
        return;
    }
    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    r->v[r->n].wd = wd;
    r->v[r->n].path = xstrdup(path);
    r->n++;
}

/* Whether the event (directory wd, file name) is the script at path. */
static int
is_script(const struct watched *w, const struct inotify_event *ev)
{
    if (ev->wd != w->wd || ev->len == 0)
        return 0;
    const char *slash = strrchr(w->path, '/');
    return strcmp(slash ? slash + 1 : w->path, ev->name) == 0;
}

static void
on_events(void *arg, int events)
{
    struct script__reload *r = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(r->fd, buf, sizeof(buf));
        if (len <= 0)
            return;
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            for (size_t i = 0; i < r->n; i++)
                if (is_script(&r->v[i], ev))
                    r->changed(r->arg, r->v[i].path);
            p += sizeof(*ev) + ev->len;
        }
    }
}

void
script__reload_attach(struct script__reload *r)
{
    if (r->watch || r->fd < 0 || script__master == NULL)
        return;
    struct server *srv = master_server(script__master);
    if (srv == NULL)
        return;
    struct err e = {0};
    r->watch = server_watch_fd(srv, r->fd, SERVER_READABLE, on_events, r, &e);
    if (r->watch == NULL)
        log_msg(LOG_WARN, "scripts: no hot reload: %s", e.msg);
}

void
script__reload_detach(struct script__reload *r)
{
    server_unwatch(r->watch);
    r->watch = NULL;
}

void
script__reload_free(struct script__reload *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].path);
    free(r->v);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}
