/*
 * A DNS flow's Request and Response tabs, as 8.1.1's dns_message_text
 * lays them out: "Question" (after "Recursive " when RD is set) and the
 * questions, "Answer" (after "Authoritative " for AA, "Recursive " for RA)
 * and the answers, "Authority", "Addition", a blank line between two
 * sections. A question is its name, type and class; a record adds its TTL
 * and str() of it (dns_rr_str), each indented by two blanks. Every line is
 * text without an attribute (the terminal's colours), laid out as urwid's
 * Text lays it out (console__wrap): a long record goes on over the next
 * lines as in 8.1.1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "dns/dns.h"
#include "util/xmalloc.h"

/* One line of 8.1.1's (a urwid Text): as many screen lines as it wraps to. */
static void
text(struct flowview *fv, int cols, enum console_style st, const char *t, size_t len)
{
    struct console_wrap *w;
    size_t n = console__wrap(t, len, cols, &w);
    for (size_t i = 0; i < n; i++)
        console__put(console__flowview_add_line(fv, cols), st, t + w[i].start, w[i].len);
    free(w);
}

static void
records(struct flowview *fv, int cols, const struct dns_rrs *rrs, struct buf *b)
{
    char ty[DNS_STR_MAX], cl[DNS_STR_MAX];
    for (size_t i = 0; i < rrs->n; i++) {
        const struct dns_rr *rr = &rrs->v[i];
        buf_reset(b);
        buf_printf(b, "  %s %s %s %u ", rr->name, dns_type_str(rr->type, ty),
                   dns_class_str(rr->class_, cl), (unsigned)rr->ttl);
        dns_rr_str(b, rr);
        text(fv, cols, ST_DEFAULT, (const char *)buf_ptr(b), b->len);
    }
}

void
console__dnsview(struct flowview *fv, const struct dns_message *m, const char *what, int cols)
{
    if (m == NULL) {
        char none[32];
        int n = snprintf(none, sizeof(none), "No %s.", what);
        text(fv, cols, ST_HIGHLIGHT, none, (size_t)n);
        return;
    }
    struct buf b = BUF_INIT;
    char ty[DNS_STR_MAX], cl[DNS_STR_MAX];
    buf_printf(&b, "%sQuestion", m->recursion_desired ? "Recursive " : "");
    text(fv, cols, ST_DEFAULT, (const char *)buf_ptr(&b), b.len);
    for (size_t i = 0; i < m->nquestions; i++) {
        const struct dns_question *q = &m->questions[i];
        buf_reset(&b);
        buf_printf(&b, "  %s %s %s", q->name, dns_type_str(q->type, ty),
                   dns_class_str(q->class_, cl));
        text(fv, cols, ST_DEFAULT, (const char *)buf_ptr(&b), b.len);
    }
    text(fv, cols, ST_DEFAULT, "", 0);
    buf_reset(&b);
    buf_printf(&b, "%s%sAnswer", m->authoritative_answer ? "Authoritative " : "",
               m->recursion_available ? "Recursive " : "");
    text(fv, cols, ST_DEFAULT, (const char *)buf_ptr(&b), b.len);
    records(fv, cols, &m->answers, &b);
    text(fv, cols, ST_DEFAULT, "", 0);
    text(fv, cols, ST_DEFAULT, "Authority", strlen("Authority"));
    records(fv, cols, &m->authorities, &b);
    text(fv, cols, ST_DEFAULT, "", 0);
    text(fv, cols, ST_DEFAULT, "Addition", strlen("Addition"));
    records(fv, cols, &m->additionals, &b);
    buf_clear(&b);
}
