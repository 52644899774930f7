/*
 * readahead.c: the flows a thread reads ahead are ffile_read()'s, in file
 * order, with a damaged file's error after the flows before it; stopping
 * early, with the ring full, frees what was read and nobody took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/readahead.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* copies of fixtures/flows/all.mitm in a new file, then tail; its path (malloc'd). */
static char *
repeated(int copies, const char *tail)
{
    FILE *in = fopen(test_fixture("flows/all.mitm"), "rb");
    ASSERT(in != NULL);
    struct buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        buf_append(&b, chunk, n);
    fclose(in);
    char *path = xstrdup("/tmp/mp-readahead-XXXXXX");
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    FILE *out = fdopen(fd, "wb");
    for (int i = 0; i < copies; i++)
        fwrite(buf_ptr(&b), 1, b.len, out);
    if (tail)
        fputs(tail, out);
    fclose(out);
    buf_clear(&b);
    return path;
}

static struct readahead *
open_ahead(const char *path)
{
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(path, &e);
    ASSERT(r != NULL);
    return readahead_new(r);
}

TEST(readahead_gives_what_ffile_read_gives)
{
    char *path = repeated(3, "12:not a flow!");
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(path, &e);
    struct readahead *ra = open_ahead(path);
    size_t n = 0;
    for (;;) {
        struct flow *a, *b;
        struct err ea = {0}, eb = {0};
        int ra_rc = ffile_read(r, &a, &ea), rb_rc = readahead_next(ra, &b, &eb);
        ASSERT_EQ(rb_rc, ra_rc);
        if (ra_rc != 1) {
            ASSERT_EQ(rb_rc, MP_ERR_CORRUPT);
            ASSERT_STREQ(eb.msg, ea.msg);
            break;
        }
        ASSERT_STREQ(b->id, a->id);
        ASSERT_EQ(b->type, a->type);
        flow_unref(a);
        flow_unref(b);
        n++;
    }
    ASSERT(n > 3);
    /* The end stays the end. */
    struct flow *f;
    ASSERT_EQ(readahead_next(ra, &f, &e), MP_ERR_CORRUPT);
    ASSERT(f == NULL);
    readahead_free(ra);
    ffile_reader_free(r);
    unlink(path);
    free(path);
}

TEST(readahead_stops_with_flows_nobody_took)
{
    /* More flows than wait in the ring: the thread is held at its bound. */
    char *path = repeated(40, NULL);
    struct readahead *ra = open_ahead(path);
    struct flow *f;
    struct err e = {0};
    ASSERT_EQ(readahead_next(ra, &f, &e), 1);
    flow_unref(f);
    usleep(100 * 1000);
    readahead_free(ra);
    /* And a read that is over before anything is taken. */
    ra = open_ahead(path);
    readahead_free(ra);
    readahead_free(NULL);
    unlink(path);
    free(path);
}
