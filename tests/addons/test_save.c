/* The save addon and readfile_run: round trips through real files. */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/builtin.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/xmalloc.h"

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    char *p = NULL;
    FILE *m = open_memstream(&p, len);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        fwrite(tmp, 1, n, m);
    fclose(f);
    fclose(m);
    return p;
}

static void
tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "/tmp/mp-test-save-%d-%s", (int)getpid(), name);
}

/* A chain with a save addon configured with save_stream_file = spec. */
static struct addon_chain *
save_chain(const char *spec, struct err *e, int *rc)
{
    struct options *o = opt_new();
    opt_set(o, "save_stream_file", spec, NULL);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_save_new());
    *rc = addon_chain_configure(c, o, e);
    opt_free(o);
    return c;
}

/* Reads a fixture through a save chain into path; returns flows read. */
static int
copy_fixture(const char *fixture, const char *spec)
{
    struct err e = {0};
    int rc;
    struct addon_chain *c = save_chain(spec, &e, &rc);
    ASSERT_EQ(rc, 0);
    char rel[128];
    snprintf(rel, sizeof(rel), "flows/%s.mitm", fixture);
    int n = readfile_run(c, test_fixture(rel), &e);
    if (n < 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    addon_chain_done(c);
    addon_chain_free(c);
    return n;
}

/* Flows with a response and no error are written once: the file is the same. */
TEST(save_round_trip_identical)
{
    static const char *const names[] = {"get-query",       "head",  "status-codes", "methods",
                                        "headers-cookies", "http2", "intercepted"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[256];
        tmp_path(path, sizeof(path), "rt.mitm");
        int n = copy_fixture(names[i], path);
        ASSERT(n >= 1);
        char rel[128];
        snprintf(rel, sizeof(rel), "flows/%s.mitm", names[i]);
        size_t alen, blen;
        char *a = slurp(path, &alen);
        char *b = slurp(test_fixture(rel), &blen);
        if (alen != blen || memcmp(a, b, alen) != 0)
            test_fail(__FILE__, __LINE__, "%s: saved file differs from the fixture", names[i]);
        free(a);
        free(b);
        unlink(path);
    }
}

/* Counts flows in a file by reading it back through an empty chain. */
static int
count_flows(const char *path)
{
    struct addon_chain *c = addon_chain_new();
    struct err e = {0};
    int n = readfile_run(c, path, &e);
    if (n < 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    addon_chain_free(c);
    return n;
}

TEST(save_truncates_then_appends)
{
    char path[256], spec[260];
    tmp_path(path, sizeof(path), "app.mitm");
    copy_fixture("methods", path); /* 5 flows */
    ASSERT_EQ(count_flows(path), 5);
    copy_fixture("get-query", path); /* plain path: replaced */
    ASSERT_EQ(count_flows(path), 1);
    snprintf(spec, sizeof(spec), "+%s", path);
    copy_fixture("methods", spec); /* "+": appended */
    ASSERT_EQ(count_flows(path), 6);
    unlink(path);
}

/*
 * A flow with a response and an error reaches both hooks; mitmproxy writes
 * it at each, we write it once, whole: the copy is the fixture byte for byte.
 */
TEST(save_error_flows_written_once)
{
    static const char *const names[] = {"error-refused", "error-truncated", "error-reset",
                                        "killed"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[256], rel[128];
        tmp_path(path, sizeof(path), "err.mitm");
        int n = copy_fixture(names[i], path);
        ASSERT_EQ(count_flows(path), n);
        snprintf(rel, sizeof(rel), "flows/%s.mitm", names[i]);
        size_t alen, blen;
        char *a = slurp(path, &alen);
        char *b = slurp(test_fixture(rel), &blen);
        if (alen != blen || memcmp(a, b, alen) != 0)
            test_fail(__FILE__, __LINE__, "%s: saved file differs from the fixture", names[i]);
        free(a);
        free(b);
        unlink(path);
    }
}

TEST(save_open_error_names_path)
{
    struct err e = {0};
    int rc;
    struct addon_chain *c = save_chain("/nonexistent-dir/x.mitm", &e, &rc);
    ASSERT_EQ(rc, MP_ERR_IO);
    ASSERT_STREQ(e.msg, "save_stream_file: cannot open '/nonexistent-dir/x.mitm': No such file or "
                        "directory");
    addon_chain_free(c);
}

/* Turning the option off closes the file; flows after that are not written. */
TEST(save_reconfigure_off)
{
    char path[256];
    tmp_path(path, sizeof(path), "off.mitm");
    struct err e = {0};
    int rc;
    struct addon_chain *c = save_chain(path, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(readfile_run(c, test_fixture("flows/get-query.mitm"), &e) == 1);
    struct options *o = opt_new();
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    ASSERT(readfile_run(c, test_fixture("flows/head.mitm"), &e) == 1);
    opt_free(o);
    addon_chain_done(c);
    addon_chain_free(c);
    ASSERT_EQ(count_flows(path), 1);
    unlink(path);
}

static char logged[512];

static void
capture_log(enum log_level level, const char *msg, void *arg)
{
    snprintf(logged, sizeof(logged), "%s", msg);
}

/* A write that fails is reported, and the addon carries on. */
TEST(save_write_failure_reported)
{
    if (access("/dev/full", W_OK) != 0)
        test_fail(__FILE__, __LINE__, "/dev/full is needed");
    log_set_sink(capture_log, NULL);
    copy_fixture("get-query", "/dev/full");
    ASSERT_STREQ(logged, "Error while writing to /dev/full: No space left on device");
    log_set_sink(NULL, NULL);
}

/* Records every hook it sees, as "name,name,...". */
struct recorder {
    struct addon base;
    char seen[512];
};

static enum addon_result
rec_hook(struct addon *a, struct hook_call *call)
{
    struct recorder *r = (struct recorder *)a;
    size_t n = strlen(r->seen);
    snprintf(r->seen + n, sizeof(r->seen) - n, "%s%s", n ? "," : "", hook_name(call->data->hook));
    return ADDON_CONTINUE;
}

static void
rec_free(struct addon *a)
{
    free(a);
}

static const struct addon_ops rec_ops = {
    .name = "recorder",
    .free = rec_free,
    .hooks =
        {
            [HOOK_REQUESTHEADERS] = rec_hook,
            [HOOK_REQUEST] = rec_hook,
            [HOOK_RESPONSEHEADERS] = rec_hook,
            [HOOK_RESPONSE] = rec_hook,
            [HOOK_ERROR] = rec_hook,
            [HOOK_TCP_START] = rec_hook,
            [HOOK_TCP_END] = rec_hook,
            [HOOK_TCP_ERROR] = rec_hook,
        },
};

static void
check_sequence(const char *fixture, const char *want)
{
    struct addon_chain *c = addon_chain_new();
    struct recorder *r = xcalloc(1, sizeof(*r));
    r->base.ops = &rec_ops;
    addon_chain_add(c, &r->base);
    char rel[128];
    snprintf(rel, sizeof(rel), "flows/%s.mitm", fixture);
    struct err e = {0};
    ASSERT(readfile_run(c, test_fixture(rel), &e) >= 0);
    ASSERT_STREQ(r->seen, want);
    addon_chain_free(c);
}

TEST(readfile_hook_sequence)
{
    check_sequence("get-query", "requestheaders,request,responseheaders,response");
    check_sequence("error-refused", "requestheaders,request,error");
    check_sequence("error-truncated", "requestheaders,request,responseheaders,response,error");
    check_sequence("intercepted", "requestheaders,request");
    check_sequence("tcp", "tcp_start,tcp_end");
}

TEST(readfile_missing_file)
{
    struct addon_chain *c = addon_chain_new();
    struct err e = {0};
    ASSERT_EQ(readfile_run(c, "/nonexistent.mitm", &e), MP_ERR_IO);
    ASSERT_STREQ(e.msg, "cannot read flows from '/nonexistent.mitm': No such file or directory");
    addon_chain_free(c);
}

/* A damaged record stops the read with its offset; earlier flows arrive. */
TEST(readfile_corrupt_after_good_flows)
{
    size_t len;
    char *good = slurp(test_fixture("flows/methods.mitm"), &len);
    char path[256];
    tmp_path(path, sizeof(path), "corrupt.mitm");
    FILE *f = fopen(path, "wb");
    fwrite(good, 1, len, f);
    fputs("12:not a flow!", f);
    fclose(f);
    free(good);

    struct addon_chain *c = addon_chain_new();
    struct recorder *r = xcalloc(1, sizeof(*r));
    r->base.ops = &rec_ops;
    addon_chain_add(c, &r->base);
    struct err e = {0};
    int rc = readfile_run(c, path, &e);
    ASSERT(rc < 0);
    char where[64];
    snprintf(where, sizeof(where), "at byte %zu", len);
    if (strstr(e.msg, where) == NULL)
        test_fail(__FILE__, __LINE__, "message lacks '%s': %s", where, e.msg);
    /* All five flows of methods.mitm were delivered first. */
    size_t responses = 0;
    for (const char *p = r->seen; (p = strstr(p, ",response")) != NULL; p++)
        if (p[9] != 'h')
            responses++;
    ASSERT_EQ(responses, 5);
    addon_chain_free(c);
    unlink(path);
}

/*
 * A record that does not fit is removed again: with the file size limited
 * to 3000 bytes, get-query (2021 bytes) fits, head's record is cut short
 * by the kernel, and the file must still end after the first flow.
 */
TEST(save_failed_write_leaves_no_partial_record)
{
    char path[256];
    tmp_path(path, sizeof(path), "limit.mitm");
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {3000, 3000};
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
    log_set_sink(capture_log, NULL);
    struct err e = {0};
    int rc;
    struct addon_chain *c = save_chain(path, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(readfile_run(c, test_fixture("flows/get-query.mitm"), &e), 1);
    ASSERT_EQ(readfile_run(c, test_fixture("flows/head.mitm"), &e), 1);
    addon_chain_done(c);
    addon_chain_free(c);
    log_set_sink(NULL, NULL);
    char want[512];
    snprintf(want, sizeof(want), "Error while writing to %s: File too large", path);
    ASSERT_STREQ(logged, want);
    size_t alen, blen;
    char *a = slurp(path, &alen);
    char *b = slurp(test_fixture("flows/get-query.mitm"), &blen);
    ASSERT_MEMEQ(a, alen, b, blen);
    free(a);
    free(b);
    unlink(path);
}

TEST(save_filter_invalid_is_a_configure_error)
{
    struct options *o = opt_new();
    opt_set(o, "save_stream_filter", "(~s", NULL);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_save_new());
    struct err e = {0};
    ASSERT(addon_chain_configure(c, o, &e) < 0);
    ASSERT(strstr(e.msg, "save_stream_filter") != NULL);
    addon_chain_free(c);
    opt_free(o);
}
