/*
 * The option registry: defaults, values, `--set` parsing, changes. The
 * options of mitmproxy 8.1.1 are generated from OPT_MAP in opt.h so nothing
 * can drift; options registered at run time (scripts' loader.add_option)
 * follow them, their values kept in struct options' dyn slots.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options/internal.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* Not const: a tool may take a row out of `--options` (opt_unlist()). */
static struct opt_info registry[] = {
#define X(type, state, name, def, choices, help)                                                   \
    {#name, OPT_##type, choices, help, offsetof(struct options, name), OPT_STATE_##state,      \
     OPT_INDEX_##name, 0, OPT_VALUE_TEXT, 0},
    OPT_MAP(X)
#undef X
};

#define NOPTS (sizeof(registry) / sizeof(registry[0]))

/*
 * Options registered at run time, in registration order; index OPT_COUNT + k.
 * Their rows own their strings; defaults holds each one's default value.
 * Registered on the loop's thread (a script's load), read anywhere after.
 */
static struct opt_info dyn_rows[OPT_DYN_MAX];
static union opt_slot dyn_defaults[OPT_DYN_MAX];
static size_t ndyn_rows;

const struct opt_info *
opt_registry(size_t *n)
{
    *n = NOPTS;
    return registry;
}

size_t
opt_count(void)
{
    return NOPTS + ndyn_rows;
}

const struct opt_info *
opt_at(size_t i)
{
    if (i < NOPTS)
        return &registry[i];
    return i - NOPTS < ndyn_rows ? &dyn_rows[i - NOPTS] : NULL;
}

const struct opt_info *
opt_find(const char *name)
{
    /* The table is in name order (a unit test checks it), so bisect. */
    size_t lo = 0, hi = NOPTS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, registry[mid].name);
        if (c == 0)
            return &registry[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t i = 0; i < ndyn_rows; i++)
        if (strcmp(name, dyn_rows[i].name) == 0)
            return &dyn_rows[i];
    return NULL;
}

const char *
opt_type_name(enum opt_type t)
{
    switch (t) {
    case OPT_BOOL:
        return "bool";
    case OPT_INT:
        return "int";
    case OPT_STR:
        return "str";
    case OPT_OPTSTR:
        return "optional str";
    case OPT_SEQ:
        return "sequence of str";
    }
    return "?";
}

/* mitmproxy's type names, and how each is kept (enum opt_value). */
static const struct {
    const char *name;
    enum opt_type type;
    enum opt_value value;
} type_names[] = {
    {"bool", OPT_BOOL, OPT_VALUE_TEXT},
    {"int", OPT_INT, OPT_VALUE_TEXT},
    {"str", OPT_STR, OPT_VALUE_TEXT},
    {"optional str", OPT_OPTSTR, OPT_VALUE_TEXT},
    {"sequence of str", OPT_SEQ, OPT_VALUE_TEXT},
    {"float", OPT_STR, OPT_VALUE_FLOAT},
    {"optional int", OPT_OPTSTR, OPT_VALUE_INT},
    {"optional float", OPT_OPTSTR, OPT_VALUE_FLOAT},
    {"optional bool", OPT_OPTSTR, OPT_VALUE_BOOL},
};

const char *
opt_info_type_name(const struct opt_info *info)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].type == info->type && type_names[i].value == info->value)
            return type_names[i].name;
    return opt_type_name(info->type);
}

static char *
dupnull(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* A sequence's default is empty or one value (mode's "regular"). */
static void
seq_default(struct strv *sv, const char *def)
{
    if (def)
        strv_push(sv, def);
}

static void
slot_copy(union opt_slot *dst, const union opt_slot *src, enum opt_type t)
{
    switch (t) {
    case OPT_BOOL:
        dst->b = src->b;
        break;
    case OPT_INT:
        dst->i = src->i;
        break;
    case OPT_STR:
    case OPT_OPTSTR:
        dst->s = dupnull(src->s);
        break;
    case OPT_SEQ:
        dst->seq = (struct strv){NULL, 0};
        for (size_t j = 0; j < src->seq.n; j++)
            strv_push(&dst->seq, src->seq.v[j]);
        break;
    }
}

static void
slot_clear(union opt_slot *v, enum opt_type t)
{
    if (t == OPT_STR || t == OPT_OPTSTR)
        free(v->s);
    else if (t == OPT_SEQ)
        strv_clear(&v->seq);
}

const void *
opt__cfield(const struct options *o, const struct opt_info *info)
{
    if (info->index < NOPTS)
        return (const char *)o + info->offset;
    size_t k = info->index - NOPTS;
    /* A registered option this struct has not stored yet has its default. */
    return k < o->ndyn ? (const void *)&o->dyn[k] : (const void *)&dyn_defaults[k];
}

void *
opt__field(struct options *o, const struct opt_info *info)
{
    if (info->index < NOPTS)
        return (char *)o + info->offset;
    size_t k = info->index - NOPTS;
    if (k >= o->ndyn) {
        o->dyn = xrealloc(o->dyn, (k + 1) * sizeof(*o->dyn));
        for (size_t j = o->ndyn; j <= k; j++)
            slot_copy(&o->dyn[j], &dyn_defaults[j], dyn_rows[j].type);
        o->ndyn = k + 1;
    }
    return &o->dyn[k];
}

int
opt_get_bool(const struct options *o, const struct opt_info *info)
{
    return *CFIELD(o, info, int);
}

long
opt_get_int(const struct options *o, const struct opt_info *info)
{
    return *CFIELD(o, info, long);
}

const char *
opt_get_str(const struct options *o, const struct opt_info *info)
{
    return *CFIELD(o, info, char *);
}

const struct strv *
opt_get_seq(const struct options *o, const struct opt_info *info)
{
    return CFIELD(o, info, struct strv);
}

struct options *
opt_new(void)
{
    struct options *o = xcalloc(1, sizeof(*o));
#define INIT_BOOL(name, def) o->name = (def);
#define INIT_INT(name, def) o->name = (def);
#define INIT_STR(name, def) o->name = xstrdup(def);
#define INIT_OPTSTR(name, def) o->name = dupnull(def);
#define INIT_SEQ(name, def) seq_default(&o->name, def);
#define X(type, state, name, def, choices, help) INIT_##type(name, def)
    OPT_MAP(X)
#undef X
#undef INIT_BOOL
#undef INIT_INT
#undef INIT_STR
#undef INIT_OPTSTR
#undef INIT_SEQ
    return o;
}

void
opt_free(struct options *o)
{
    if (o == NULL)
        return;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_info *info = &registry[i];
        if (info->type == OPT_STR || info->type == OPT_OPTSTR)
            free(*FIELD(o, info, char *));
        else if (info->type == OPT_SEQ)
            strv_clear(FIELD(o, info, struct strv));
    }
    for (size_t k = 0; k < o->ndyn; k++)
        slot_clear(&o->dyn[k], dyn_rows[k].type);
    free(o->dyn);
    strv_clear(&o->deferred);
    strv_clear(&o->deferred_quiet);
    free(o);
}

struct options *
opt_copy(const struct options *src)
{
    struct options *o = xmalloc(sizeof(*o));
    memcpy(o, src, sizeof(*o));
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_info *info = &registry[i];
        if (info->type == OPT_STR || info->type == OPT_OPTSTR) {
            char **p = FIELD(o, info, char *);
            *p = dupnull(*p);
        } else if (info->type == OPT_SEQ) {
            struct strv *dst = FIELD(o, info, struct strv);
            const struct strv *sv = CFIELD(src, info, struct strv);
            *dst = (struct strv){NULL, 0};
            for (size_t j = 0; j < sv->n; j++)
                strv_push(dst, sv->v[j]);
        }
    }
    o->dyn = src->ndyn ? xmalloc(src->ndyn * sizeof(*o->dyn)) : NULL;
    for (size_t k = 0; k < src->ndyn; k++)
        slot_copy(&o->dyn[k], &src->dyn[k], dyn_rows[k].type);
    o->deferred = (struct strv){NULL, 0};
    for (size_t j = 0; j < src->deferred.n; j++)
        strv_push(&o->deferred, src->deferred.v[j]);
    o->deferred_quiet = (struct strv){NULL, 0};
    for (size_t j = 0; j < src->deferred_quiet.n; j++)
        strv_push(&o->deferred_quiet, src->deferred_quiet.v[j]);
    return o;
}

void
opt_reset_one(struct options *o, const struct opt_info *info)
{
    struct options *d = opt_new();
    const void *src = opt__cfield(d, info);
    void *dst = opt__field(o, info);
    switch (info->type) {
    case OPT_BOOL:
        *(int *)dst = *(const int *)src;
        break;
    case OPT_INT:
        *(long *)dst = *(const long *)src;
        break;
    case OPT_STR:
    case OPT_OPTSTR:
        free(*(char **)dst);
        *(char **)dst = dupnull(*(char *const *)src);
        break;
    case OPT_SEQ:
        strv_clear(dst);
        for (size_t j = 0; j < ((const struct strv *)src)->n; j++)
            strv_push(dst, ((const struct strv *)src)->v[j]);
        break;
    }
    o->seq_set[info->index] = 0;
    opt_free(d);
}

int
opt_changed(const struct opt_changes *updated, size_t index)
{
    if (updated == NULL)
        return 1;
    return index < OPT_COUNT + OPT_DYN_MAX && (updated->bits[index / 8] >> (index % 8)) & 1;
}

void
opt_changes_add(struct opt_changes *ch, size_t index)
{
    if (index < OPT_COUNT + OPT_DYN_MAX)
        ch->bits[index / 8] |= (unsigned char)(1u << (index % 8));
}

int
opt_changed_name(const struct opt_changes *updated, const char *name)
{
    const struct opt_info *info = opt_find(name);
    return info && opt_changed(updated, info->index);
}

static int
same_value(const struct options *a, const struct options *b, const struct opt_info *info)
{
    switch (info->type) {
    case OPT_BOOL:
        return *CFIELD(a, info, int) == *CFIELD(b, info, int);
    case OPT_INT:
        return *CFIELD(a, info, long) == *CFIELD(b, info, long);
    case OPT_STR:
    case OPT_OPTSTR: {
        const char *x = *CFIELD(a, info, char *), *y = *CFIELD(b, info, char *);
        return x == y || (x && y && strcmp(x, y) == 0);
    }
    case OPT_SEQ: {
        const struct strv *x = CFIELD(a, info, struct strv), *y = CFIELD(b, info, struct strv);
        if (x->n != y->n)
            return 0;
        for (size_t i = 0; i < x->n; i++)
            if (strcmp(x->v[i], y->v[i]) != 0)
                return 0;
        return 1;
    }
    }
    return 0;
}

size_t
opt_diff(const struct options *a, const struct options *b, struct opt_changes *out)
{
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < opt_count(); i++) {
        if (!same_value(a, b, opt_at(i))) {
            opt_changes_add(out, i);
            n++;
        }
    }
    return n;
}

void
strv_push(struct strv *sv, const char *s)
{
    sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
    sv->v[sv->n++] = xstrdup(s);
}

void
strv_clear(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

/* True if value is one of the "|"-separated choices. */
static int
in_choices(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    const char *p = choices;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && memcmp(p, value, len) == 0)
            return 1;
        if (bar == NULL)
            return 0;
        p = bar + 1;
    }
}

/* Writes "a|b|c" as "<a><sep><b>..." with each choice wrapped in quote. */
void
opt__list_choices(struct buf *b, const char *choices, const char *quote, const char *sep)
{
    const char *p = choices;
    for (int first = 1;; first = 0) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (!first)
            buf_append_str(b, sep);
        buf_append_str(b, quote);
        buf_append(b, p, len);
        buf_append_str(b, quote);
        if (bar == NULL)
            return;
        p = bar + 1;
    }
}

static int
parse_long(const char *s, long *out)
{
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int
opt_set(struct options *o, const char *name, const char *value, struct err *e)
{
    const struct opt_info *info = opt_find(name);
    if (info == NULL)
        return err_set(e, MP_ERR_NOTFOUND, "unknown option '%s'", name);

    switch (info->type) {
    case OPT_BOOL: {
        int *p = FIELD(o, info, int);
        if (value == NULL || strcmp(value, "true") == 0)
            *p = 1;
        else if (strcmp(value, "false") == 0)
            *p = 0;
        else if (strcmp(value, "toggle") == 0)
            *p = !*p;
        else
            return err_set(e, MP_ERR_INVAL, "%s: invalid boolean '%s' (valid: true, false, toggle)",
                           name, value);
        return 0;
    }
    case OPT_INT: {
        if (value == NULL)
            return err_set(e, MP_ERR_INVAL, "%s: a value is required", name);
        long v;
        if (parse_long(value, &v) < 0)
            return err_set(e, MP_ERR_INVAL, "%s: invalid integer '%s'", name, value);
        *FIELD(o, info, long) = v;
        return 0;
    }
    case OPT_STR:
    case OPT_OPTSTR: {
        char **p = FIELD(o, info, char *);
        /* An empty number or boolean is no value, as 8.1.1 reads Optional[int]. */
        if (value == NULL || (info->value != OPT_VALUE_TEXT && *value == '\0')) {
            if (info->type == OPT_STR)
                return err_set(e, MP_ERR_INVAL, "%s: a value is required", name);
            free(*p);
            *p = NULL;
            return 0;
        }
        if (info->choices && !in_choices(info->choices, value)) {
            struct buf b = BUF_INIT;
            opt__list_choices(&b, info->choices, "", ", ");
            buf_append(&b, "", 1);
            err_set(e, MP_ERR_INVAL, "%s: invalid value '%s' (valid: %s)", name, value,
                    (const char *)buf_ptr(&b));
            buf_clear(&b);
            return MP_ERR_INVAL;
        }
        char *text;
        if (opt__typed_text(info, value, &text, e) < 0)
            return MP_ERR_INVAL;
        free(*p);
        *p = text;
        return 0;
    }
    case OPT_SEQ: {
        struct strv *sv = FIELD(o, info, struct strv);
        if (!o->seq_set[info->index]) {
            o->seq_set[info->index] = 1;
            strv_clear(sv);
        }
        if (value == NULL)
            strv_clear(sv);
        else
            strv_push(sv, value);
        return 0;
    }
    }
    return err_set(e, MP_ERR_INVAL, "%s: bad option type", name);
}

int
opt_set_arg(struct options *o, const char *arg, struct err *e)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL)
        return opt_set(o, arg, NULL, e);
    char *name = xstrndup(arg, (size_t)(eq - arg));
    int rc = opt_set(o, name, eq + 1, e);
    free(name);
    return rc;
}

static int
valid_name(const char *name)
{
    if (!isalpha((unsigned char)*name) && *name != '_')
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return 0;
    return 1;
}

int
opt_register(const char *name, enum opt_type type, const char *def, const char *choices,
             const char *help, struct err *e)
{
    const struct opt_info *have = opt_find(name);
    if (have) {
        /* A script loaded again registers its options again: fine when
         * they are the same option. */
        if (have->index >= NOPTS && have->type == type)
            return (int)have->index;
        return err_set(e, MP_ERR_EXISTS, "option '%s' already exists", name);
    }
    if (!valid_name(name))
        return err_set(e, MP_ERR_INVAL, "invalid option name '%s'", name);
    if (ndyn_rows == OPT_DYN_MAX)
        return err_set(e, MP_ERR_LIMIT, "too many options (at most %d can be added)", OPT_DYN_MAX);
    size_t k = ndyn_rows;
    union opt_slot *d = &dyn_defaults[k];
    memset(d, 0, sizeof(*d));
    switch (type) {
    case OPT_BOOL:
        d->b = def && strcmp(def, "true") == 0;
        break;
    case OPT_INT: {
        long v = 0;
        if (def && parse_long(def, &v) < 0)
            return err_set(e, MP_ERR_INVAL, "%s: invalid integer default '%s'", name, def);
        d->i = v;
        break;
    }
    case OPT_STR:
        d->s = xstrdup(def ? def : "");
        break;
    case OPT_OPTSTR:
        d->s = dupnull(def);
        break;
    case OPT_SEQ:
        seq_default(&d->seq, def);
        break;
    }
    dyn_rows[k] = (struct opt_info){
        .name = xstrdup(name),
        .type = type,
        .choices = dupnull(choices),
        .help = xstrdup(help ? help : ""),
        .index = NOPTS + k,
    };
    ndyn_rows++;
    return (int)(NOPTS + k);
}

int
opt_register_typed(const char *name, const char *type_name, const char *def,
                   const char *choices, const char *help, struct err *e)
{
    size_t t = 0, nt = sizeof(type_names) / sizeof(type_names[0]);
    while (t < nt && strcmp(type_names[t].name, type_name) != 0)
        t++;
    if (t == nt)
        return err_set(e, MP_ERR_INVAL, "%s: unsupported option type: %s", name, type_name);
    enum opt_type type = type_names[t].type;
    enum opt_value value = type_names[t].value;
    const struct opt_info *have = opt_find(name);
    if (have && have->type == type && have->value != value)
        return err_set(e, MP_ERR_EXISTS, "option '%s' already exists", name);
    /* The default, checked and spelt as a value set later would be. */
    char *canon = NULL;
    if (value != OPT_VALUE_TEXT && def && *def) {
        struct opt_info probe = {.name = name, .value = value};
        if (opt__typed_text(&probe, def, &canon, e) < 0)
            return MP_ERR_INVAL;
    } else if (value == OPT_VALUE_FLOAT && type == OPT_STR) {
        canon = xstrdup("0.0"); /* a float always has one */
    } else if (value == OPT_VALUE_TEXT) {
        canon = dupnull(def);
    }
    int index = opt_register(name, type, canon, choices, help, e);
    free(canon);
    if (index >= 0)
        dyn_rows[(size_t)index - NOPTS].value = value;
    return index;
}

int
opt_register_ours(const char *name, enum opt_type type, const char *def, const char *choices,
                  const char *help, struct err *e)
{
    int index = opt_register(name, type, def, choices, help, e);
    if (index >= 0)
        dyn_rows[(size_t)index - NOPTS].unlisted = 1;
    return index;
}

int
opt_unlist(const char *name)
{
    struct opt_info *info = (struct opt_info *)opt_find(name);
    if (info == NULL)
        return MP_ERR_NOTFOUND;
    info->unlisted = 1;
    info->absent = 1;
    return 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp((*(const struct opt_info *const *)a)->name,
                  (*(const struct opt_info *const *)b)->name);
}

size_t
opt_listed(const struct opt_info ***out)
{
    size_t n = opt_count(), k = 0;
    const struct opt_info **v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        if (!opt_at(i)->absent)
            v[k++] = opt_at(i);
    qsort(v, k, sizeof(*v), by_name);
    *out = v;
    return k;
}

int
opt_set_deferred(struct options *o, const char *arg, struct err *e)
{
    size_t n = strcspn(arg, "=");
    char *name = xstrndup(arg, n);
    int known = opt_find(name) != NULL;
    free(name);
    if (known)
        return opt_set_arg(o, arg, e);
    strv_push(&o->deferred, arg);
    return 0;
}

/* Applies the settings of sv whose options now exist; keeps the rest in sv. */
static int
apply_known(struct options *o, struct strv *sv, struct err *e)
{
    struct strv left = {NULL, 0};
    int rc = 0;
    for (size_t i = 0; i < sv->n; i++) {
        const char *arg = sv->v[i];
        size_t n = strcspn(arg, "=");
        char *name = xstrndup(arg, n);
        int known = opt_find(name) != NULL;
        free(name);
        if (!known)
            strv_push(&left, arg);
        else if (rc == 0)
            rc = opt_set_arg(o, arg, e);
    }
    strv_clear(sv);
    *sv = left;
    return rc;
}

int
opt_apply_deferred(struct options *o, struct err *e)
{
    int rc = apply_known(o, &o->deferred_quiet, e);
    if (rc == 0)
        rc = apply_known(o, &o->deferred, e);
    return rc;
}

int64_t
opt_parse_size(const char *s, struct err *e)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return err_set(e, MP_ERR_INVAL, "invalid size '%s'", s), -1;
    uint64_t v = 0;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > (uint64_t)INT64_MAX)
            return err_set(e, MP_ERR_LIMIT, "size too large '%s'", s), -1;
        p++;
    }
    int shift = 0;
    switch (tolower((unsigned char)*p)) {
    case 'k':
        shift = 10;
        break;
    case 'm':
        shift = 20;
        break;
    case 'g':
        shift = 30;
        break;
    case 't':
        shift = 40;
        break;
    default:
        break;
    }
    if (shift)
        p++;
    if (tolower((unsigned char)*p) == 'b')
        p++;
    if (*p != '\0')
        return err_set(e, MP_ERR_INVAL, "invalid size '%s'", s), -1;
    if (v > ((uint64_t)INT64_MAX >> shift))
        return err_set(e, MP_ERR_LIMIT, "size too large '%s'", s), -1;
    return (int64_t)(v << shift);
}
