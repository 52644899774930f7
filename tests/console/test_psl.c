/*
 * psl.c and the host's colours: the suffix lengths publicsuffix2 (8.1.1's
 * get_tld and get_sld over Debian's /usr/share/publicsuffix list) gives
 * for each host, and a table row's host in colorize_host's styles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"

TEST(console_psl_as_publicsuffix2)
{
    static const struct {
        const char *host;
        size_t tld, sld;
    } want[] = {
        {"example.test", 4, 4},
        {"www.example.com", 3, 11},
        {"a.b.example.co.uk", 5, 13},
        {"127.0.0.1", 1, 1},
        {"localhost", 9, 9},
        {"foo.github.io", 9, 13},
        {"[::1]", 5, 5},
        {"::1", 3, 3},
        {"x.com.", 3, 5},
        {"com", 3, 3},
        {"co.uk", 5, 5},
        {"foo.bar.kawasaki.jp", 15, 19},
        {"a.city.kawasaki.jp", 11, 16},
        {"city.kawasaki.jp", 11, 16},
        {"WWW.Example.Co.UK", 5, 13},
        {"a..com", 3, 4},
        {".com", 3, 3},
        {"x.blogspot.com", 12, 14},
        {"foo.notatld", 7, 7},
        {"a.b.c.compute.amazonaws.com", 23, 25},
        {"x.y.ck", 4, 6},
        {"www.ck", 2, 6},
        {"mitm.it", 2, 7},
        {"sub.domain.example.org", 3, 11},
        {"10.0.0.1", 1, 1},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        size_t tld, sld;
        console__psl_suffixes(want[i].host, &tld, &sld);
        if (tld != want[i].tld || sld != want[i].sld)
            fprintf(stderr, "%s: %zu %zu, publicsuffix2: %zu %zu\n", want[i].host, tld, sld,
                    want[i].tld, want[i].sld);
        ASSERT_EQ(tld, want[i].tld);
        ASSERT_EQ(sld, want[i].sld);
    }
    size_t tld = 1, sld = 1;
    console__psl_suffixes("", &tld, &sld);
    ASSERT_EQ(tld + sld, 0);
    console__psl_suffixes("...", &tld, &sld);
    console__psl_suffixes("\xff\xfe.\xe6\x97\xa5.", &tld, &sld);
}

/* Without the list every host's last label is its suffix. */
TEST(console_psl_without_the_list)
{
    console__psl_use("/nonexistent/psl.dat");
    size_t tld, sld;
    console__psl_suffixes("a.b.example.co.uk", &tld, &sld);
    ASSERT_EQ(tld, 2);
    ASSERT_EQ(sld, 2);
}

/* The style of the byte of row r at column col (ASCII rows). */
static int
style_at(struct console *c, int r, int col)
{
    const struct sline *l = &c->scr.lines[r];
    size_t at = 0;
    for (size_t k = 0; k < l->nspans; k++) {
        if ((size_t)col < at + l->spans[k].len)
            return l->spans[k].style;
        at += l->spans[k].len;
    }
    return -1;
}

TEST(console_format_host_colours_as_881)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = tcon_flow("GET", "/", 200);
    http_set_str(&f->request->host, "www.example.com");
    store_add(t.s, f);
    flow_unref(f);
    console__layout(c, 20, 120);
    int r = tcon_row_of(c, "www.example.com");
    ASSERT(r >= 0);
    const char *line = tcon_line(c, r);
    int col = (int)(strstr(line, "www.example.com") - line);
    /* "www" text, ".example" url_extension, "." text, "com" url_domain. */
    static const char styles[] = "TTTEEEEEEEETDDD";
    for (int i = 0; styles[i]; i++) {
        int want = styles[i] == 'T' ? ST_TEXT : styles[i] == 'E' ? ST_URL_EXTENSION : ST_URL_DOMAIN;
        ASSERT_EQ(style_at(c, r, col + i), want);
    }
    tcon_stop(&t);
}

/* Each byte's style as 8.1.1's colorize_req gives it, from 8.1.1 itself:
 * P punctuation, T text, F file name, E extension, K query key, V value. */
TEST(console_path_styles_as_colorize_req)
{
    static const struct {
        const char *path, *styles;
    } want[] = {
        {"/", "P"},
        {"/index.html", "PFFFFFPEEEE"},
        {"/a/b/file.tar.gz?x=1&y=2", "PTPTPFFFFPFFFPEEPKPVPKPV"},
        {"/api/v1/users?id=42&sort", "PTTTPTTPFFFFFPKKPVVPKKKK"},
        {"/dir.d/file", "PTTTTTPFFFF"},
        {"/?a==b&&c=d", "PPKPVVPKKPV"},
        {"/x.y.z/", "PTTTTTP"},
        {"/caf\xc3\xa9.txt?q=\xc3\xa9", "PFFFFFPEEEPKPVV"},
        {"noslash.js", "FFFFFFFPEE"},
        {"/a?b?c=d", "PFPKKKPV"},
    };
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        size_t len = strlen(want[k].path);
        unsigned char st[64];
        ASSERT_EQ(strlen(want[k].styles), len);
        console__path_styles(want[k].path, len, st);
        for (size_t i = 0; i < len; i++) {
            char c = want[k].styles[i];
            int s = c == 'P'   ? ST_URL_PUNCTUATION
                    : c == 'F' ? ST_URL_FILENAME
                    : c == 'E' ? ST_URL_EXTENSION
                    : c == 'K' ? ST_URL_QUERY_KEY
                    : c == 'V' ? ST_URL_QUERY_VALUE
                               : ST_TEXT;
            ASSERT_EQ(st[i], s);
        }
    }
}

TEST(console_format_path_colours_as_881)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = tcon_flow("GET", "/a/file.js?k=v", 200);
    store_add(t.s, f);
    flow_unref(f);
    console__layout(c, 20, 120);
    int r = tcon_row_of(c, "/a/file.js?k=v");
    ASSERT(r >= 0);
    const char *line = tcon_line(c, r);
    int col = (int)(strstr(line, "/a/file.js?k=v") - line);
    static const char styles[] = "PTPFFFFPEEPKPV";
    for (int i = 0; styles[i]; i++) {
        char ch = styles[i];
        int want = ch == 'P'   ? ST_URL_PUNCTUATION
                   : ch == 'F' ? ST_URL_FILENAME
                   : ch == 'E' ? ST_URL_EXTENSION
                   : ch == 'K' ? ST_URL_QUERY_KEY
                   : ch == 'V' ? ST_URL_QUERY_VALUE
                               : ST_TEXT;
        ASSERT_EQ(style_at(c, r, col + i), want);
    }
    tcon_stop(&t);
}
