#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/path.h"
#include "util/xmalloc.h"

char *
path_expand_home(const char *path)
{
    if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
        return xstrdup(path);
    const char *home = getenv("HOME");
    if (home == NULL || home[0] == '\0') {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir ? pw->pw_dir : "/";
    }
    size_t hl = strlen(home);
    while (hl > 0 && home[hl - 1] == '/')
        hl--;
    struct buf b = BUF_INIT;
    buf_append(&b, home, hl);
    buf_append_str(&b, path + 1);
    if (b.len == 0)
        buf_append_str(&b, "/");
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}
