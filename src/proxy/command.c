#include <stddef.h>
#include <stdlib.h>

#include "flow/connection.h"
#include "proxy/command.h"

const char *
cmd_type_name(enum cmd_type t)
{
    switch (t) {
#define X(name, str)                                                                               \
    case CMD_##name:                                                                               \
        return str;
        CMD_TYPE_MAP(X)
#undef X
    }
    return "?";
}

void
cmdq_init(struct cmdq *q)
{
    q->head = NULL;
    q->tail = &q->head;
}

int
cmdq_empty(const struct cmdq *q)
{
    return q->head == NULL;
}

void
cmdq_push(struct cmdq *q, struct command *c)
{
    c->next = NULL;
    *q->tail = c;
    q->tail = &c->next;
}

struct command *
cmdq_pop(struct cmdq *q)
{
    struct command *c = q->head;
    if (c == NULL)
        return NULL;
    q->head = c->next;
    if (q->head == NULL)
        q->tail = &q->head;
    c->next = NULL;
    return c;
}

void
cmdq_splice(struct cmdq *dst, struct cmdq *src)
{
    if (src->head == NULL)
        return;
    *dst->tail = src->head;
    dst->tail = src->tail;
    cmdq_init(src);
}

struct command *
cmdq_last(const struct cmdq *q)
{
    if (q->head == NULL)
        return NULL;
    /* tail points at the last command's next field. */
    return (struct command *)((char *)q->tail - offsetof(struct command, next));
}

void
cmd_free(struct command *c)
{
    if (c == NULL)
        return;
    if (c->conn)
        connection_unref(c->conn);
    buf_clear(&c->data);
    hook_data_clear(&c->hook);
    free(c->msg);
    free(c);
}

void
cmdq_clear(struct cmdq *q)
{
    struct command *c;
    while ((c = cmdq_pop(q)) != NULL)
        cmd_free(c);
}
