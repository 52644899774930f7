/*
 * The event log (8.1.1's eventstore addon and the console's EventLog
 * view): the newest log lines in a ring, so a busy proxy cannot grow it.
 */
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/xmalloc.h"

void
console__eventlog_init(struct eventlog *el, size_t cap)
{
    memset(el, 0, sizeof(*el));
    el->cap = cap ? cap : 1;
    el->v = xcalloc(el->cap, sizeof(*el->v));
}

void
console__eventlog_clear(struct eventlog *el)
{
    for (size_t i = 0; i < el->n; i++)
        free(el->v[(el->start + i) % el->cap].msg);
    free(el->v);
    memset(el, 0, sizeof(*el));
}

void
console__eventlog_add(struct eventlog *el, enum log_level level, const char *msg)
{
    size_t slot;
    if (el->n == el->cap) {
        slot = el->start;
        free(el->v[slot].msg);
        el->start = (el->start + 1) % el->cap;
    } else {
        slot = (el->start + el->n++) % el->cap;
    }
    el->v[slot].level = level;
    el->v[slot].msg = xstrdup(msg);
    el->seen++;
}

const char *
console__eventlog_get(const struct eventlog *el, size_t i, enum log_level *level)
{
    if (i >= el->n)
        return NULL;
    size_t slot = (el->start + i) % el->cap;
    if (level)
        *level = el->v[slot].level;
    return el->v[slot].msg;
}
