/*
 * The command registry (mitmproxy's CommandManager): commands by name,
 * their signatures and help, calls with string arguments, whole command
 * lines, partial parses for a prompt, and `--commands`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/internal.h"
#include "flow/flow.h"
#include "util/textwrap.h"
#include "util/xmalloc.h"

struct cmds *
cmds_new(void)
{
    return xcalloc(1, sizeof(struct cmds));
}

static void
def_clear(struct command_def *d)
{
    free(d->name);
    free(d->help);
    for (size_t i = 0; i < d->nparams; i++) {
        free((char *)d->params[i].name);
        free((char *)d->params[i].choices_cmd);
    }
    free(d->params);
}

void
cmds_free(struct cmds *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        def_clear(&c->v[i]);
    free(c->v);
    free(c->names);
    free(c);
}

void
cmds_set_resolver(struct cmds *c, cmds_resolve_cb cb, void *arg)
{
    c->resolve = cb;
    c->resolve_arg = arg;
}

/* The index of name, or where it would go (*found = 0). */
static size_t
lookup(const struct cmds *c, const char *name, int *found)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(name, c->v[mid].name);
        if (r == 0) {
            *found = 1;
            return mid;
        }
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = 0;
    return lo;
}

static const struct command_def *
find(const struct cmds *c, const char *name)
{
    int found;
    size_t i = lookup(c, name, &found);
    return found ? &c->v[i] : NULL;
}

int
cmds_add(struct cmds *c, const char *name, const char *help, const struct cmds_param *params,
         size_t nparams, enum cmds_type ret, cmds_fn fn, void *arg, struct err *e)
{
    if (name == NULL || *name == '\0' || strpbrk(name, " \t\r\n'\""))
        return err_set(e, MP_ERR_INVAL, "invalid command name '%s'", name ? name : "");
    for (size_t i = 0; i < nparams; i++) {
        if (params[i].variadic == 1 && i + 1 != nparams)
            return err_set(e, MP_ERR_INVAL, "%s: only the last parameter may be variadic", name);
        if (i && params[i - 1].variadic == CMDS_OPTIONAL && params[i].variadic != CMDS_OPTIONAL)
            return err_set(e, MP_ERR_INVAL, "%s: parameter %s follows an optional one", name,
                           params[i].name);
        if (params[i].type == CMDS_NONE)
            return err_set(e, MP_ERR_INVAL, "%s: parameter %s has no type", name,
                           params[i].name);
    }
    struct command_def d = {
        .name = xstrdup(name),
        .help = help && *help ? xstrdup(help) : NULL,
        .params = xcalloc(nparams ? nparams : 1, sizeof(*d.params)),
        .nparams = nparams,
        .ret = ret,
        .fn = fn,
        .arg = arg,
    };
    for (size_t i = 0; i < nparams; i++) {
        d.params[i] = params[i];
        d.params[i].name = xstrdup(params[i].name);
        d.params[i].choices_cmd = params[i].choices_cmd ? xstrdup(params[i].choices_cmd) : NULL;
    }
    int found;
    size_t at = lookup(c, name, &found);
    if (found) {
        def_clear(&c->v[at]);
        c->v[at] = d;
        return 0;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof(*c->v));
    c->v[at] = d;
    c->n++;
    return 0;
}

int
cmds_has(const struct cmds *c, const char *name)
{
    return find(c, name) != NULL;
}

size_t
cmds_names(const struct cmds *c, const char ***names)
{
    struct cmds *m = (struct cmds *)c;
    m->names = xrealloc(m->names, (c->n ? c->n : 1) * sizeof(*m->names));
    for (size_t i = 0; i < c->n; i++)
        m->names[i] = c->v[i].name;
    *names = m->names;
    return c->n;
}

static void
signature(const struct command_def *d, struct buf *out)
{
    buf_printf(out, "%s ", d->name);
    for (size_t i = 0; i < d->nparams; i++)
        buf_printf(out, "%s%s%s", i ? " " : "", d->params[i].variadic == 1 ? "*" : "",
                   d->params[i].name);
    if (d->ret != CMDS_NONE)
        buf_printf(out, " -> %s", cmds_type_name(d->ret));
}

void
cmds_signature(const struct cmds *c, const char *name, struct buf *out)
{
    const struct command_def *d = find(c, name);
    if (d)
        signature(d, out);
}

const char *
cmds_help(const struct cmds *c, const char *name)
{
    const struct command_def *d = find(c, name);
    return d ? d->help : NULL;
}

/* The command of that name in *d, if nargs suits it; else an error. */
static int
callable(const struct cmds *c, const char *name, size_t nargs, const struct command_def **d,
         struct err *e)
{
    *d = find(c, name);
    if (*d == NULL)
        return err_set(e, MP_ERR_NOTFOUND, "Unknown command: %s", name);
    int variadic = (*d)->nparams && (*d)->params[(*d)->nparams - 1].variadic == 1;
    size_t fixed = variadic ? (*d)->nparams - 1 : (*d)->nparams;
    size_t required = 0;
    while (required < fixed && (*d)->params[required].variadic != CMDS_OPTIONAL)
        required++;
    if (nargs < required || (!variadic && nargs > fixed))
        return err_set(e, MP_ERR_INVAL,
                       "Command argument mismatch: %s expects %s%zu argument%s, got %zu", name,
                       variadic || required < fixed ? "at least " : "", required,
                       required == 1 ? "" : "s", nargs);
    return 0;
}

/* The parameter argument i goes to (the variadic one takes the rest). */
static const struct cmds_param *
param_of(const struct command_def *d, size_t i)
{
    return &d->params[i < d->nparams ? i : d->nparams - 1];
}

/* A value already of p's type, as the command gets it: a flow becomes a
 * list of one for a FLOWS parameter. References and copies are taken.
 * 0 when a is not of p's type. */
static int
take_value(const struct cmds_param *p, const struct cmds_value *a, struct cmds_value *v)
{
    memset(v, 0, sizeof(*v));
    v->type = p->type;
    if (a->type == CMDS_FLOW && p->type == CMDS_FLOWS && a->flow) {
        v->flows.v = xcalloc(1, sizeof(*v->flows.v));
        v->flows.v[v->flows.n++] = flow_ref(a->flow);
        return 1;
    }
    if (a->type != p->type)
        return 0;
    switch (p->type) {
    case CMDS_FLOW:
        v->flow = a->flow ? flow_ref(a->flow) : NULL;
        return 1;
    case CMDS_FLOWS:
        v->flows.v = xcalloc(a->flows.n ? a->flows.n : 1, sizeof(*v->flows.v));
        for (size_t i = 0; i < a->flows.n; i++)
            v->flows.v[v->flows.n++] = flow_ref(a->flows.v[i]);
        return 1;
    case CMDS_BYTES:
        v->s = xmalloc(a->len + 1);
        memcpy(v->s, a->s, a->len);
        v->s[a->len] = 0;
        v->len = a->len;
        return 1;
    case CMDS_BOOL:
        v->b = a->b;
        return 1;
    default:
        return 0; /* text types are parsed, with their checks */
    }
}

/* Parses (or takes) every argument, calls the command, frees the values. */
static int
call(struct cmds *c, const struct command_def *d, const char *const *strs,
     const struct cmds_value *args, size_t nargs, struct cmds_value *ret, struct err *e)
{
    struct cmds_value *vals = xcalloc(nargs ? nargs : 1, sizeof(*vals));
    int rc = 0;
    size_t parsed = 0;
    for (; parsed < nargs && rc == 0; parsed++) {
        const struct cmds_param *p = param_of(d, parsed);
        if (strs)
            rc = cmds__parse(c, p, strs[parsed], &vals[parsed], e);
        else if (!take_value(p, &args[parsed], &vals[parsed]))
            rc = cmds__parse(c, p, args[parsed].s ? args[parsed].s : "", &vals[parsed], e);
    }
    struct cmds_value local = {0};
    if (rc == 0) {
        struct cmds_call cc = {c, vals, nargs, ret ? ret : &local};
        cmds_value_clear(cc.ret);
        rc = d->fn(d->arg, &cc, e);
    }
    cmds_value_clear(&local);
    for (size_t i = 0; i < parsed; i++)
        cmds_value_clear(&vals[i]);
    free(vals);
    return rc;
}

int
cmds_call(struct cmds *c, const char *name, const char *const *args, size_t nargs,
          struct cmds_value *ret, struct err *e)
{
    const struct command_def *d;
    int rc = callable(c, name, nargs, &d, e);
    return rc < 0 ? rc : call(c, d, args, NULL, nargs, ret, e);
}

int
cmds_call_values(struct cmds *c, const char *name, const struct cmds_value *args, size_t nargs,
                 struct cmds_value *ret, struct err *e)
{
    const struct command_def *d;
    int rc = callable(c, name, nargs, &d, e);
    return rc < 0 ? rc : call(c, d, NULL, args, nargs, ret, e);
}

int
cmds_execute(struct cmds *c, const char *line, struct cmds_value *ret, struct err *e)
{
    struct cmds_part *parts;
    size_t n = cmds_lex(line, &parts);
    char **words = xcalloc(n ? n : 1, sizeof(*words));
    size_t nw = 0;
    for (size_t i = 0; i < n; i++)
        if (parts[i].type != CMDS_NONE)
            words[nw++] = cmds_unquote(parts[i].p, parts[i].len);
    free(parts);
    int rc;
    if (nw == 0)
        rc = err_set(e, MP_ERR_INVAL, "Invalid command: '%s'", line);
    else
        rc = cmds_call(c, words[0], (const char *const *)words + 1, nw - 1, ret, e);
    for (size_t i = 0; i < nw; i++)
        free(words[i]);
    free(words);
    return rc;
}

size_t
cmds_parse_partial(struct cmds *c, const char *line, struct cmds_part **parts,
                   enum cmds_type *next)
{
    size_t n = cmds_lex(line, parts);
    const struct command_def *d = NULL;
    size_t argi = 0; /* 0: the command name; k: the k-th argument */
    for (size_t i = 0; i < n; i++) {
        struct cmds_part *p = &(*parts)[i];
        if (p->type == CMDS_NONE) {
            p->valid = 1;
            continue;
        }
        char *word = cmds_unquote(p->p, p->len);
        if (argi == 0) {
            d = find(c, word);
            p->type = CMDS_CMD;
            p->valid = d != NULL;
        } else if (d && d->nparams &&
                   (argi <= d->nparams || d->params[d->nparams - 1].variadic == 1)) {
            const struct cmds_param *prm = &d->params[argi <= d->nparams ? argi - 1 : d->nparams - 1];
            struct cmds_value v;
            struct err e = {0};
            p->type = prm->type;
            /* Flows are resolved by the store: a prompt only checks the form. */
            if (prm->type == CMDS_FLOW || prm->type == CMDS_FLOWS)
                p->valid = *word != '\0';
            else
                p->valid = cmds__parse(c, prm, word, &v, &e) == 0;
            if (prm->type != CMDS_FLOW && prm->type != CMDS_FLOWS)
                cmds_value_clear(&v);
        } else {
            p->type = CMDS_UNKNOWN;
            p->valid = 0;
        }
        free(word);
        argi++;
    }
    if (next) {
        if (argi == 0)
            *next = CMDS_CMD;
        else if (d && argi <= d->nparams)
            *next = d->params[argi - 1].type;
        else if (d && d->nparams && d->params[d->nparams - 1].variadic == 1)
            *next = d->params[d->nparams - 1].type;
        else
            *next = CMDS_NONE;
    }
    return n;
}

static void
help_line(void *arg, const char *p, size_t n)
{
    FILE *f = arg;
    fputs("# ", f);
    fwrite(p, 1, n, f);
    fputc('\n', f);
}

struct sig {
    char *line;
    size_t i;
};

static int
by_signature(const void *a, const void *b)
{
    return strcmp(((const struct sig *)a)->line, ((const struct sig *)b)->line);
}

/* mitmproxy sorts by the signature line and wraps each help at 70. */
void
cmds_dump(const struct cmds *c, void *file)
{
    FILE *f = file;
    struct sig *sigs = xcalloc(c->n ? c->n : 1, sizeof(*sigs));
    for (size_t i = 0; i < c->n; i++) {
        struct buf b = BUF_INIT;
        signature(&c->v[i], &b);
        sigs[i] = (struct sig){buf_strdup(&b), i};
        buf_clear(&b);
    }
    qsort(sigs, c->n, sizeof(*sigs), by_signature);
    for (size_t k = 0; k < c->n; k++) {
        const struct command_def *d = &c->v[sigs[k].i];
        if (d->help)
            textwrap(d->help, TEXTWRAP_WIDTH, help_line, f);
        fprintf(f, "%s\n\n", sigs[k].line);
        free(sigs[k].line);
    }
    free(sigs);
}

size_t
cmds_nargs(const struct cmds_call *c)
{
    return c->nargs;
}

const struct cmds_value *
cmds_arg(const struct cmds_call *c, size_t i)
{
    return i < c->nargs ? &c->args[i] : NULL;
}

struct cmds *
cmds_of(const struct cmds_call *c)
{
    return c->cmds;
}

void
cmds_return_str(struct cmds_call *c, const char *s)
{
    cmds_value_clear(c->ret);
    c->ret->type = CMDS_STR;
    c->ret->s = xstrdup(s);
}

void
cmds_return_int(struct cmds_call *c, long v)
{
    cmds_value_clear(c->ret);
    c->ret->type = CMDS_INT;
    c->ret->i = v;
}

void
cmds_return_bool(struct cmds_call *c, int v)
{
    cmds_value_clear(c->ret);
    c->ret->type = CMDS_BOOL;
    c->ret->b = v != 0;
}

void
cmds_return_strs(struct cmds_call *c, struct strv *sv)
{
    cmds_value_clear(c->ret);
    c->ret->type = CMDS_STRS;
    c->ret->strs = *sv;
    *sv = (struct strv){NULL, 0};
}

void
cmds_return_value(struct cmds_call *c, struct cmds_value *v)
{
    cmds_value_clear(c->ret);
    *c->ret = *v;
    memset(v, 0, sizeof(*v));
}
