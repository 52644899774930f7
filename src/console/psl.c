/*
 * The host's colours in the flow list (8.1.1's colorize_host): its public
 * suffix (publicsuffix2's get_tld) in url_domain, the dot before it in
 * text, the label before that (the rest of get_sld) in url_extension,
 * everything before in text. 8.1.1 reads Debian's public suffix list,
 * /usr/share/publicsuffix/effective_tld_names.dat; so do we, once, when a
 * host is first drawn. Without the file every host's last label is its
 * suffix, as publicsuffix2 makes of an unknown top-level domain.
 *
 * The list is a trie in publicsuffix2; here each node is a key of a hash
 * table, the node's labels joined with dots ("kawasaki.jp",
 * "*.kawasaki.jp"), holding its negation ('!' rules). Every node on a
 * rule's way counts, as in publicsuffix2, so "kawasaki.jp" is a suffix
 * because "*.kawasaki.jp" is a rule. Rules in other scripts than ASCII
 * are left out (publicsuffix2 matches them IDNA-encoded, which a host
 * seldom is in its Unicode form).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/xmalloc.h"

#define PSL_FILE "/usr/share/publicsuffix/effective_tld_names.dat"

struct psl_node {
    char *key; /* owned; NULL: a free slot */
    int negate;
};

static struct psl_node *psl_tab;
static size_t psl_cap, psl_n;
static const char *psl_path = PSL_FILE;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static size_t
hash(const char *s, size_t n)
{
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static struct psl_node *
find(const char *key, size_t n)
{
    if (psl_cap == 0)
        return NULL;
    for (size_t i = hash(key, n) & (psl_cap - 1);; i = (i + 1) & (psl_cap - 1)) {
        struct psl_node *e = &psl_tab[i];
        if (e->key == NULL)
            return NULL;
        if (strlen(e->key) == n && memcmp(e->key, key, n) == 0)
            return e;
    }
}

static void grow(void);

/* The node of key, added with negate 0 when new. */
static struct psl_node *
node(const char *key, size_t n)
{
    struct psl_node *e = find(key, n);
    if (e)
        return e;
    if (2 * (psl_n + 1) > psl_cap)
        grow();
    size_t i = hash(key, n) & (psl_cap - 1);
    while (psl_tab[i].key)
        i = (i + 1) & (psl_cap - 1);
    psl_tab[i].key = xmalloc(n + 1);
    memcpy(psl_tab[i].key, key, n);
    psl_tab[i].key[n] = '\0';
    psl_tab[i].negate = 0;
    psl_n++;
    return &psl_tab[i];
}

static void
grow(void)
{
    struct psl_node *old = psl_tab;
    size_t oldcap = psl_cap;
    psl_cap = psl_cap ? 2 * psl_cap : 1024;
    psl_tab = xcalloc(psl_cap, sizeof(*psl_tab));
    psl_n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key) {
            node(old[i].key, strlen(old[i].key))->negate = old[i].negate;
            free(old[i].key);
        }
    free(old);
}

/* One rule: every suffix of it a node, the whole its negation. */
static void
add_rule(const char *rule, size_t n)
{
    int negate = 0;
    if (n && rule[0] == '!') {
        negate = 1;
        rule++;
        n--;
    }
    while (n && rule[0] == '.') {
        rule++;
        n--;
    }
    if (n == 0)
        return;
    for (size_t i = n; i-- > 0;)
        if (rule[i] == '.')
            node(rule + i + 1, n - i - 1);
    node(rule, n)->negate = negate;
}

static void
load(void)
{
    FILE *fp = fopen(psl_path, "r");
    if (fp == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof(line), fp)) {
        size_t n = strcspn(line, " \t\r\n");
        if (n == 0 || (n >= 2 && line[0] == '/' && line[1] == '/'))
            continue;
        int ascii = 1;
        for (size_t i = 0; i < n; i++)
            ascii &= (unsigned char)line[i] < 0x80;
        if (ascii)
            add_rule(line, n);
    }
    fclose(fp);
}

void
console__psl_use(const char *path)
{
    psl_path = path;
}

/* The labels of host, lowercased, without dots at its ends. */
struct labels {
    char *text;  /* owned: the labels, each NUL-terminated */
    char **part; /* owned array */
    size_t n;
};

static void
split(const char *host, struct labels *l)
{
    size_t len = strlen(host), a = 0, b = len;
    while (a < b && host[a] == '.')
        a++;
    while (b > a && host[b - 1] == '.')
        b--;
    l->text = xmalloc(b - a + 1);
    l->part = xmalloc((b - a + 1) * sizeof(*l->part));
    l->n = 0;
    l->part[l->n++] = l->text;
    for (size_t i = a; i < b; i++) {
        char c = (char)tolower((unsigned char)host[i]);
        l->text[i - a] = c == '.' ? '\0' : c;
        if (c == '.')
            l->part[l->n++] = l->text + i - a + 1;
    }
    l->text[b - a] = '\0';
}

/* _lookup_node: hits[i] of the label i from the left gets the negation
 * of the last node matched at its depth. */
static void
lookup(const struct labels *l, int *hits, size_t depth, const char *path, struct buf *key)
{
    if (depth == 1)
        hits[l->n - 1] = 0;
    if (depth > l->n)
        return;
    const char *names[2] = {"*", l->part[l->n - depth]};
    for (int k = 0; k < 2; k++) {
        buf_reset(key);
        buf_append_str(key, names[k]);
        if (*path) {
            buf_append(key, ".", 1);
            buf_append_str(key, path);
        }
        struct psl_node *e = find((const char *)buf_ptr(key), key->len);
        if (e == NULL)
            continue;
        hits[l->n - depth] = e->negate;
        struct buf sub = BUF_INIT;
        lookup(l, hits, depth + 1, e->key, &sub);
        buf_clear(&sub);
    }
}

/* The number of labels of get_tld's suffix (strict: 0 when the last
 * label is no top-level domain of the list). */
static size_t
tld_labels(const struct labels *l, int strict)
{
    if (strict && find(l->part[l->n - 1], strlen(l->part[l->n - 1])) == NULL)
        return 0;
    int *hits = xmalloc(l->n * sizeof(*hits));
    for (size_t i = 0; i < l->n; i++)
        hits[i] = -1;
    struct buf key = BUF_INIT;
    lookup(l, hits, 1, "", &key);
    buf_clear(&key);
    size_t n = 1;
    for (size_t i = 0; i < l->n; i++)
        if (hits[i] == 0) {
            n = l->n - i;
            break;
        }
    free(hits);
    return n;
}

/* The characters of the last k labels joined with dots. */
static size_t
chars_of(const struct labels *l, size_t k)
{
    size_t n = 0;
    for (size_t i = l->n - k; i < l->n; i++) {
        for (const char *p = l->part[i]; *p; p++)
            n += ((unsigned char)*p & 0xc0) != 0x80;
        n += i + 1 < l->n;
    }
    return n;
}

void
console__psl_suffixes(const char *host, size_t *tld, size_t *sld)
{
    pthread_once(&psl_once, load);
    *tld = *sld = 0;
    if (host == NULL || *host == '\0')
        return;
    struct labels l;
    split(host, &l);
    size_t t = tld_labels(&l, 0), strict = tld_labels(&l, 1);
    *tld = chars_of(&l, t);
    *sld = l.n <= strict ? chars_of(&l, strict) : chars_of(&l, strict + 1);
    free(l.text);
    free(l.part);
}
