/*
 * The system clipboard, reached as mitmproxy's pyperclip reaches it on
 * Linux: a copy program fed on its standard input. See export.h.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "export/export.h"

extern char **environ;

/* Whether an executable called name is on PATH (shutil.which). */
static int
on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        return 0;
    size_t nlen = strlen(name);
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
        char full[4096];
        if (dlen + nlen + 2 <= sizeof(full)) {
            memcpy(full, dlen ? p : ".", dlen ? dlen : 1);
            size_t at = dlen ? dlen : 1;
            full[at] = '/';
            memcpy(full + at + 1, name, nlen + 1);
            if (access(full, X_OK) == 0)
                return 1;
        }
        if (colon == NULL)
            return 0;
        p = colon + 1;
    }
}

/* Runs argv with p[0..n) on its standard input and waits for it. */
static int
feed(char *const argv[], const void *p, size_t n, struct err *e)
{
    int fds[2];
    if (pipe(fds) < 0)
        return err_set(e, MP_ERR_IO, "clipboard: pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        return err_set(e, MP_ERR_IO, "clipboard: cannot run %s: %s", argv[0], strerror(rc));
    }
    /* A copy program that exits early must not kill us with SIGPIPE. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    const char *s = p;
    int werr = 0;
    while (n > 0) {
        ssize_t w = write(fds[1], s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            werr = errno;
            break;
        }
        s += w;
        n -= (size_t)w;
    }
    close(fds[1]);
    sigaction(SIGPIPE, &old, NULL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (werr)
        return err_set(e, MP_ERR_IO, "clipboard: writing to %s: %s", argv[0], strerror(werr));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return err_set(e, MP_ERR_IO, "clipboard: %s failed", argv[0]);
    return 0;
}

int
export_clipboard_copy(const void *p, size_t n, struct err *e)
{
    const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
    int has_x11 = x11 && *x11, has_wayland = wayland && *wayland;
    if (has_wayland && on_path("wl-copy")) {
        /* wl-copy clears the clipboard for empty text (pyperclip's --clear). */
        char *argv[] = {"wl-copy", n ? NULL : "--clear", NULL};
        return feed(argv, p, n, e);
    }
    if (has_x11 && on_path("xsel")) {
        char *argv[] = {"xsel", "-b", "-i", NULL};
        return feed(argv, p, n, e);
    }
    if (has_x11 && on_path("xclip")) {
        char *argv[] = {"xclip", "-selection", "c", NULL};
        return feed(argv, p, n, e);
    }
    if (!has_x11 && !has_wayland)
        return err_set(e, MP_ERR_NOTFOUND,
                       "No clipboard: neither DISPLAY nor WAYLAND_DISPLAY is set");
    return err_set(e, MP_ERR_NOTFOUND,
                   "No clipboard program found: install xclip, xsel or wl-clipboard");
}
