/*
 * The export, cut and savehar addons through a command registry whose
 * resolver serves the fixture flows ("@all", or a flow's id), as the flow
 * store will: mitmproxy 8.1.1's command list, results against the export
 * and cut functions, files, a stand-in clipboard program, and the HAR that
 * hardump writes when done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../export/expected.h"
#include "../lib/test.h"
#include "addons/export.h"
#include "addons/readfile.h"
#include "commands/commands.h"
#include "export/cut.h"
#include "export/export.h"
#include "export/har.h"
#include "flow/flowfile.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "util/xmalloc.h"

static struct fixture_flows ff;

static int
resolve(void *arg, const char *spec, struct cmds_flows *out, struct err *e)
{
    out->v = xcalloc(ff.n + 1, sizeof(*out->v));
    out->n = 0;
    for (size_t i = 0; i < ff.n; i++)
        if (strcmp(spec, "@all") == 0 || strcmp(spec, ff.v[i]->id) == 0)
            out->v[out->n++] = flow_ref(ff.v[i]);
    return 0;
}

struct rig {
    struct cmds *cmds;
    struct addon_chain *chain;
};

static void
rig_init(struct rig *g)
{
    ff = fixture_flows_load();
    g->cmds = cmds_new();
    cmds_set_resolver(g->cmds, resolve, NULL);
    g->chain = addon_chain_new();
    addon_chain_add(g->chain, addon_cut_new());
    addon_chain_add(g->chain, addon_export_new());
    addon_chain_add(g->chain, addon_savehar_new());
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(addon_chain_commands(g->chain, g->cmds, &e), 0);
    ASSERT_EQ(addon_chain_configure(g->chain, o, &e), 0);
    opt_free(o);
}

static void
rig_free(struct rig *g)
{
    addon_chain_free(g->chain);
    cmds_free(g->cmds);
    fixture_flows_free(&ff);
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    struct buf b = BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

static void
tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "/tmp/mp-test-export-%d-%s", (int)getpid(), name);
}

/* What 8.1.1's `mitmdump --commands` says of its export and cut commands. */
static const char COMMANDS_811[] =
    "# Cut data from a set of flows. Cut specifications are attribute paths\n"
    "# from the base of the flow object, with a few conveniences - \"port\"\n"
    "# and \"host\" retrieve parts of an address tuple, \".header[key]\"\n"
    "# retrieves a header value. Return values converted to strings or\n"
    "# bytes: SSL certificates are converted to PEM format, bools are \"true\"\n"
    "# or \"false\", \"bytes\" are preserved, and all other values are\n"
    "# converted to strings.\n"
    "cut flows cuts -> data[][]\n\n"
    "# Send cuts to the clipboard. If there are multiple flows or cuts, the\n"
    "# format is UTF-8 encoded CSV. If there is exactly one row and one\n"
    "# column, the data is written to file as-is, with raw bytes preserved.\n"
    "cut.clip flows cuts\n\n"
    "# Save cuts to file. If there are multiple flows or cuts, the format\n"
    "# is UTF-8 encoded CSV. If there is exactly one row and one column,\n"
    "# the data is written to file as-is, with raw bytes preserved. If the\n"
    "# path is prefixed with a \"+\", values are appended if there is an\n"
    "# existing file.\n"
    "cut.save flows cuts path\n\n"
    "# Export a flow and return the result.\n"
    "export format f -> str\n\n"
    "# Export a flow to the system clipboard.\n"
    "export.clip format f\n\n"
    "# Export a flow to path.\n"
    "export.file format flow path\n\n"
    "# Return a list of the supported export formats.\n"
    "export.formats  -> str[]\n\n"
    /* Current mitmproxy's. */
    "# Export flows to an HAR (HTTP Archive) file.\n"
    "save.har flows path\n\n";

TEST(export_commands_as_mitmproxy_lists_them)
{
    struct rig g;
    rig_init(&g);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cmds_dump(g.cmds, f);
    fclose(f);
    ASSERT_STREQ(out, COMMANDS_811);
    free(out);
    rig_free(&g);
}

static int
call(struct rig *g, const char *line, struct cmds_value *ret, struct err *e)
{
    return cmds_execute(g->cmds, line, ret, e);
}

TEST(export_command_returns_text)
{
    struct rig g;
    rig_init(&g);
    struct cmds_value v = {0};
    struct err e = {0};
    char line[128];
    /* Flow 13 has latin-1 header values: text with \xHH for them. */
    snprintf(line, sizeof(line), "export curl %s", ff.v[13]->id);
    ASSERT_EQ(call(&g, line, &v, &e), 0);
    struct buf raw = BUF_INIT, want = BUF_INIT;
    ASSERT_EQ(export_flow(EXPORT_CURL, ff.v[13], NULL, &raw, &e), 0);
    export_as_text(buf_ptr(&raw), raw.len, &want);
    ASSERT_EQ(v.type, CMDS_STR);
    ASSERT_MEMEQ(v.s, strlen(v.s), buf_ptr(&want), want.len);
    cmds_value_clear(&v);

    snprintf(line, sizeof(line), "export nope %s", ff.v[0]->id);
    ASSERT_EQ(call(&g, line, &v, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "No such export format: nope");
    /* A TCP flow: export's own error. */
    snprintf(line, sizeof(line), "export raw_request %s", ff.v[39]->id);
    ASSERT_EQ(call(&g, line, &v, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "Can't export flow with no request.");
    /* One flow only. */
    ASSERT(call(&g, "export curl @all", &v, &e) < 0);
    ASSERT(strstr(e.msg, "Command requires one flow") != NULL);

    ASSERT_EQ(call(&g, "export.formats", &v, &e), 0);
    ASSERT_EQ(v.strs.n, (size_t)EXPORT__COUNT);
    ASSERT_STREQ(v.strs.v[0], "curl");
    ASSERT_STREQ(v.strs.v[EXPORT__COUNT - 1], "raw_response");
    cmds_value_clear(&v);
    buf_clear(&raw);
    buf_clear(&want);
    rig_free(&g);
}

TEST(export_file_writes_the_bytes)
{
    struct rig g;
    rig_init(&g);
    char path[256], line[512];
    tmp_path(path, sizeof(path), "raw");
    struct err e = {0};
    snprintf(line, sizeof(line), "export.file raw %s %s", ff.v[22]->id, path);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    struct buf want = BUF_INIT;
    ASSERT_EQ(export_flow(EXPORT_RAW, ff.v[22], NULL, &want, &e), 0);
    size_t n;
    char *got = slurp(path, &n);
    ASSERT_MEMEQ(got, n, buf_ptr(&want), want.len);
    free(got);
    unlink(path);
    /* A path that cannot be written is logged, as mitmproxy does. */
    snprintf(line, sizeof(line), "export.file raw %s /nonexistent/dir/x", ff.v[22]->id);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    buf_clear(&want);
    rig_free(&g);
}

/* A stand-in xsel on PATH, with a display, that keeps what it is fed. */
struct clip {
    char dir[128], file[192];
    char *old_path;
};

static void
clip_init(struct clip *c)
{
    tmp_path(c->dir, sizeof(c->dir), "bin");
    snprintf(c->file, sizeof(c->file), "%s/clipboard", c->dir);
    mkdir(c->dir, 0700);
    char prog[256];
    snprintf(prog, sizeof(prog), "%s/xsel", c->dir);
    FILE *f = fopen(prog, "w");
    ASSERT(f != NULL);
    fprintf(f, "#!/bin/sh\n[ \"$1 $2\" = \"-b -i\" ] || exit 3\nexec cat > '%s'\n", c->file);
    fclose(f);
    chmod(prog, 0700);
    c->old_path = xstrdup(getenv("PATH"));
    char path[512];
    snprintf(path, sizeof(path), "%s:/usr/bin:/bin", c->dir);
    setenv("PATH", path, 1);
    setenv("DISPLAY", ":0", 1);
    unsetenv("WAYLAND_DISPLAY");
}

static char *
clip_take(struct clip *c, size_t *n)
{
    char *s = slurp(c->file, n);
    unlink(c->file);
    return s;
}

static void
clip_free(struct clip *c)
{
    char prog[256];
    snprintf(prog, sizeof(prog), "%s/xsel", c->dir);
    unlink(prog);
    rmdir(c->dir);
    setenv("PATH", c->old_path, 1);
    free(c->old_path);
}

TEST(export_clip_feeds_the_clipboard)
{
    struct rig g;
    rig_init(&g);
    struct clip c;
    clip_init(&c);
    char line[128];
    struct err e = {0};
    snprintf(line, sizeof(line), "export.clip httpie %s", ff.v[1]->id);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    size_t n;
    char *got = clip_take(&c, &n);
    struct buf want = BUF_INIT;
    ASSERT_EQ(export_flow(EXPORT_HTTPIE, ff.v[1], NULL, &want, &e), 0);
    ASSERT_MEMEQ(got, n, buf_ptr(&want), want.len);
    free(got);
    buf_clear(&want);

    /* Two cells: CSV; one: the cell as extract_str gives it. */
    snprintf(line, sizeof(line), "cut.clip %s request.method,request.content", ff.v[1]->id);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    got = clip_take(&c, &n);
    ASSERT_STREQ(got, "POST,b'name=alice&age=30&tags=a&tags=b&note=hello+world%21'\r\n");
    free(got);
    snprintf(line, sizeof(line), "cut.clip %s request.content", ff.v[1]->id);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    got = clip_take(&c, &n);
    ASSERT_STREQ(got, "b'name=alice&age=30&tags=a&tags=b&note=hello+world%21'");
    free(got);

    /* No display: a clear error, as pyperclip's. */
    unsetenv("DISPLAY");
    snprintf(line, sizeof(line), "export.clip curl %s", ff.v[1]->id);
    ASSERT_EQ(call(&g, line, NULL, &e), MP_ERR_NOTFOUND);
    ASSERT(strstr(e.msg, "clipboard") != NULL);
    clip_free(&c);
    rig_free(&g);
}

TEST(cut_command_returns_cells)
{
    struct rig g;
    rig_init(&g);
    struct cmds_value v = {0};
    struct err e = {0};
    ASSERT_EQ(call(&g, "cut @all request.method,response.status_code,id", &v, &e), 0);
    ASSERT_EQ(v.type, CMDS_DATA);
    ASSERT_EQ(v.data.rows, ff.n);
    ASSERT_EQ(v.data.cols, 3);
    for (size_t i = 0; i < ff.n; i++) {
        struct buf want = BUF_INIT;
        ASSERT_EQ(cut_extract("response.status_code", ff.v[i], &want, NULL, &e), 0);
        const struct buf *got = &v.data.cells[i * 3 + 1];
        ASSERT_MEMEQ(buf_ptr(got), got->len, buf_ptr(&want), want.len);
        ASSERT_BUF_STR(&v.data.cells[i * 3 + 2], ff.v[i]->id);
        buf_clear(&want);
    }
    ASSERT_BUF_STR(&v.data.cells[1 * 3], "POST");
    cmds_value_clear(&v);
    ASSERT_EQ(call(&g, "cut @all request._x", &v, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "Can't access internal attribute _x");
    rig_free(&g);
}

TEST(cut_save_single_csv_and_append)
{
    struct rig g;
    rig_init(&g);
    char path[256], line[512];
    tmp_path(path, sizeof(path), "cut");
    unlink(path);
    struct err e = {0};
    /* One cell: its bytes; "+" appends it on a line of its own. */
    snprintf(line, sizeof(line), "cut.save %s request.method %s", ff.v[1]->id, path);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    snprintf(line, sizeof(line), "cut.save %s response.status_code +%s", ff.v[1]->id, path);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    size_t n;
    char *got = slurp(path, &n);
    ASSERT_STREQ(got, "POST\n200");
    free(got);
    /* Several: CSV, replacing the file, or after it with "+". */
    snprintf(line, sizeof(line), "cut.save %s request.method,request.path %s", ff.v[1]->id, path);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    snprintf(line, sizeof(line), "cut.save %s id +%s", ff.v[0]->id, path);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    got = slurp(path, &n);
    char want[256];
    snprintf(want, sizeof(want), "POST,/echo\r\n\n%s", ff.v[0]->id);
    ASSERT_STREQ(got, want);
    free(got);
    unlink(path);
    rig_free(&g);
}

TEST(save_har_command_writes_har)
{
    struct rig g;
    rig_init(&g);
    char path[256], line[512];
    tmp_path(path, sizeof(path), "all.har");
    struct err e = {0};
    snprintf(line, sizeof(line), "save.har @all %s", path);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    struct buf want = BUF_INIT;
    har_write(&want, ff.v, ff.n, NULL);
    size_t n;
    char *got = slurp(path, &n);
    ASSERT_MEMEQ(got, n, buf_ptr(&want), want.len);
    free(got);
    unlink(path);

    /* .zhar: the same, zlib-compressed. */
    tmp_path(path, sizeof(path), "all.zhar");
    snprintf(line, sizeof(line), "save.har @all %s", path);
    ASSERT_EQ(call(&g, line, NULL, &e), 0);
    got = slurp(path, &n);
    uLongf len = want.len;
    char *plain = xmalloc(len + 1);
    ASSERT_EQ(uncompress((Bytef *)plain, &len, (const Bytef *)got, n), Z_OK);
    ASSERT_MEMEQ(plain, len, buf_ptr(&want), want.len);
    free(plain);
    free(got);
    unlink(path);

    snprintf(line, sizeof(line), "save.har @all /nonexistent/dir/x.har");
    ASSERT_EQ(call(&g, line, NULL, &e), MP_ERR_IO);
    ASSERT(strstr(e.msg, "No such file or directory: '/nonexistent/dir/x.har'") != NULL);
    buf_clear(&want);
    rig_free(&g);
}

/* hardump: the flows that finished, written when done. */
static char *
hardump(const char *fixture, const char *filter, size_t *n)
{
    char path[256];
    tmp_path(path, sizeof(path), "dump.har");
    unlink(path);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_savehar_new());
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "hardump", path, &e), 0);
    if (filter)
        ASSERT_EQ(opt_set(o, "save_stream_filter", filter, &e), 0);
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    opt_free(o);
    ASSERT(readfile_run(c, test_fixture(fixture), &e) > 0);
    addon_chain_done(c);
    addon_chain_free(c);
    char *s = slurp(path, n);
    unlink(path);
    return s;
}

/* The flows of a fixture file as har_write() writes them. */
static void
har_of(const char *fixture, struct buf *out)
{
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(test_fixture(fixture), &e);
    ASSERT(r != NULL);
    struct flow *v[64];
    size_t n = 0;
    while (n < 64 && ffile_read(r, &v[n], &e) == 1)
        n++;
    ffile_reader_free(r);
    har_write(out, v, n, NULL);
    for (size_t i = 0; i < n; i++)
        flow_unref(v[i]);
}

TEST(savehar_hardump_when_done)
{
    /* A WebSocket is written once, at its end; HTTP at the response. */
    static const char *const fixtures[] = {"flows/websocket.mitm", "flows/methods.mitm"};
    for (size_t i = 0; i < 2; i++) {
        size_t n;
        char *got = hardump(fixtures[i], NULL, &n);
        struct buf want = BUF_INIT;
        har_of(fixtures[i], &want);
        ASSERT_MEMEQ(got, n, buf_ptr(&want), want.len);
        free(got);
        buf_clear(&want);
    }
    /* save_stream_filter picks the flows. */
    size_t n;
    char *got = hardump("flows/methods.mitm", "~m DELETE", &n);
    ASSERT(strstr(got, "\"method\": \"DELETE\"") != NULL);
    ASSERT(strstr(got, "\"method\": \"GET\"") == NULL);
    free(got);
}

/* Unset, nothing is kept and nothing written. */
TEST(savehar_without_hardump_writes_nothing)
{
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_savehar_new());
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    opt_free(o);
    ASSERT(readfile_run(c, test_fixture("flows/methods.mitm"), &e) > 0);
    addon_chain_done(c);
    addon_chain_free(c);
    const struct opt_info *h = opt_find("hardump");
    ASSERT(h != NULL && h->type == OPT_STR);
}
