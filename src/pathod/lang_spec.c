/*
 * Printing a message back as a spec: token by token, joined with ':', in
 * a form the parser reads back to the same message (pathod's spec()).
 */
#include <ctype.h>
#include <string.h>

#include "pathod/internal.h"

static void
offset_spec(const struct ptok *t, struct buf *out)
{
    if (t->off_kind == 'n')
        buf_printf(out, "%llu", (unsigned long long)t->off);
    else
        buf_append(out, &t->off_kind, 1);
}

static void
tok_spec(const struct ptok *t, struct buf *out)
{
    switch (t->type) {
    case T_WS:
        buf_append_str(out, "ws");
        break;
    case T_WF:
        buf_append_str(out, "wf");
        break;
    case T_CODE:
        buf_printf(out, "%llu", (unsigned long long)t->num);
        break;
    case T_METHOD:
        if (t->method >= 0) {
            /* As pathod printed it (the seeds' ">> 'GET':/"): a quoted literal. */
            buf_printf(out, "'%s'", pathod_methods[t->method]);
        } else {
            pval_spec(&t->val, out);
        }
        break;
    case T_PATH:
        pval_spec(&t->val, out);
        break;
    case T_HEADER:
        buf_append(out, &t->hkind, 1);
        if (t->hkind == 'h') {
            pval_spec(&t->key, out);
            buf_append_str(out, "=");
            pval_spec(&t->val, out);
        } else if (t->hkind == 'u' && t->ua >= 0) {
            buf_append_str(out, pathod_ua_names[t->ua]);
        } else {
            pval_spec(&t->val, out);
        }
        break;
    case T_RAW:
        buf_append_str(out, "r");
        break;
    case T_REASON:
        buf_append_str(out, "m");
        pval_spec(&t->val, out);
        break;
    case T_BODY:
        buf_append_str(out, "b");
        pval_spec(&t->val, out);
        break;
    case T_RAWBODY:
        buf_append_str(out, "r");
        pval_spec(&t->val, out);
        break;
    case T_NESTED: {
        /* Always quoted: the parser only takes a quoted embedded spec. */
        struct pval q = t->val;
        q.naked = 0;
        buf_append_str(out, "s");
        pval_spec(&q, out);
        break;
    }
    case T_TIMES:
        buf_printf(out, "x%llu", (unsigned long long)t->num);
        break;
    case T_PAUSE:
        buf_append_str(out, "p");
        offset_spec(t, out);
        if (t->secs < 0)
            buf_append_str(out, ",f");
        else
            buf_printf(out, ",%lld", (long long)t->secs);
        break;
    case T_DISC:
        buf_append_str(out, "d");
        offset_spec(t, out);
        break;
    case T_INJECT:
        buf_append_str(out, "i");
        offset_spec(t, out);
        buf_append_str(out, ",");
        pval_spec(&t->val, out);
        break;
    case T_OPCODE:
        if (t->name >= 0)
            buf_printf(out, "c%s", pathod_opcode_names[t->name]);
        else
            buf_printf(out, "c%llu", (unsigned long long)t->num);
        break;
    case T_LENGTH:
        buf_printf(out, "l%llu", (unsigned long long)t->num);
        break;
    case T_FIN:
    case T_RSV1:
    case T_RSV2:
    case T_RSV3:
    case T_MASK: {
        static const char *const names[] = {"fin", "rsv1", "rsv2", "rsv3", "mask"};
        buf_printf(out, "%s%s", t->on ? "" : "-", names[t->type - T_FIN]);
        break;
    }
    case T_KEY: {
        /* Never bare: "k" + "none" would read back as knone. */
        struct pval q = t->val;
        q.naked = 0;
        buf_append_str(out, "k");
        pval_spec(&q, out);
        break;
    }
    case T_KNONE:
        buf_append_str(out, "knone");
        break;
    default:
        break;
    }
}

void
pmsg_spec(const struct pmsg *m, struct buf *out)
{
    for (size_t i = 0; i < m->n; i++) {
        if (i)
            buf_append_str(out, ":");
        tok_spec(&m->t[i], out);
    }
}
