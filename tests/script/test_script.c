/*
 * The embedded interpreter and the Python views of C flows: what a script
 * does through mitmproxy.http must land in the C flow the proxy sends, and
 * the script loader must run a script's hooks and survive its errors.
 */
#include "tscript.h"

#include <unistd.h>

#include "addons/addon.h"
#include "options/opt.h"
#include "util/log.h"

/* As src/tools/mitmdump.c: CPython's allocations live until exit. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:libpython3.11.so\n";
}

/* Without this, every run under LeakSanitizer ends with the table of
 * suppressed CPython allocations. */
const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
    return "print_suppressions=0";
}

static struct flow *
get_flow(void)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = tscript_request("GET", "/a?b=1");
    hdrs_add_cstr(&r->headers, "Host", "example.com");
    hdrs_add_cstr(&r->headers, "Accept", "a");
    hdrs_add_cstr(&r->headers, "X-Dup", "1");
    hdrs_add_cstr(&r->headers, "x-dup", "2");
    f->request = r;
    return f;
}

TEST(script_package_is_ours_and_names_what_it_lacks)
{
    tscript_start();
    tscript_run(NULL,
                "import mitmproxy, os\n"
                "assert os.path.realpath(mitmproxy.__file__) == os.path.realpath("
                "'python/mitmproxy/__init__.py'), mitmproxy.__file__\n"
                "import sys\n"
                "assert not any('dist-packages/mitmproxy' in (getattr(m, '__file__', '') or '')\n"
                "               for m in list(sys.modules.values()))\n"
                "try:\n"
                "    from mitmproxy import certs\n"
                "    raise AssertionError('imported')\n"
                "except ImportError as e:\n"
                "    assert 'mitmproxy.certs' in str(e) and 'this version' in str(e), e\n"
                "import site\n"
                "assert not sys.flags.no_user_site or True\n"
                "assert all('.local/lib' not in p for p in sys.path), sys.path\n");
}

TEST(script_request_view_reads_and_writes_the_c_flow)
{
    tscript_start();
    struct flow *f = get_flow();
    tscript_run(f, "r = f.request\n"
                   "assert r.method == 'GET' and r.host == 'example.com' and r.port == 80\n"
                   "assert r.url == 'http://example.com/a?b=1', r.url\n"
                   "assert r.pretty_url == 'http://example.com/a?b=1'\n"
                   "assert r.headers['accept'] == 'a'\n"
                   "assert r.headers['X-DUP'] == '1, 2'\n"
                   "assert r.headers.get_all('x-dup') == ['1', '2']\n"
                   "r.headers.set_all('X-Dup', ['3'])\n"
                   "r.headers['x-new'] = 'n'\n"
                   "del r.headers['accept']\n"
                   "r.method = 'POST'\n"
                   "r.path = '/changed'\n"
                   "r.content = b'body'\n"
                   "assert f.response is None\n");
    struct http_request *r = f->request;
    ASSERT_STREQ(r->method, "POST");
    ASSERT_STREQ(r->path, "/changed");
    ASSERT_EQ(r->content.len, 4);
    ASSERT(memcmp(r->content.data + r->content.off, "body", 4) == 0);
    /* set_all kept the first field's place and spelling, dropped the other. */
    ASSERT_EQ(r->headers.n, 4);
    ASSERT_STREQ(r->headers.v[0].name, "Host");
    ASSERT_STREQ(r->headers.v[1].name, "X-Dup");
    ASSERT_STREQ(r->headers.v[1].value, "3");
    ASSERT_STREQ(r->headers.v[2].name, "x-new");
    ASSERT_STREQ(r->headers.v[3].name, "content-length");
    ASSERT_STREQ(r->headers.v[3].value, "4");
    flow_unref(f);
}

TEST(script_response_make_moves_into_the_flow)
{
    tscript_start();
    struct flow *f = get_flow();
    tscript_run(f, "from mitmproxy import http\n"
                   "resp = http.Response.make(404, 'gone', {'content-type': 'text/plain'})\n"
                   "f.response = resp\n"
                   "resp.headers['x-after'] = 'yes'\n"
                   "assert f.response.status_code == 404 and f.response.reason == 'Not Found'\n"
                   "assert f.response.text == 'gone'\n");
    ASSERT(f->response != NULL);
    ASSERT_EQ(f->response->status_code, 404);
    ASSERT_STREQ(hdrs_get(&f->response->headers, "x-after")->value, "yes");
    ASSERT_STREQ(hdrs_get(&f->response->headers, "content-length")->value, "4");
    tscript_run(f, "f.response = None\n");
    ASSERT(f->response == NULL);
    flow_unref(f);
}

TEST(script_content_follows_content_encoding_and_charset)
{
    tscript_start();
    struct flow *f = get_flow();
    tscript_run(f, "from mitmproxy import http\n"
                   "f.response = http.Response.make(200, b'', {'content-encoding': 'gzip',\n"
                   "    'content-type': 'text/html; charset=latin-1'})\n"
                   "f.response.text = 'caf\\xe9'\n"
                   "raw = f.response.raw_content\n"
                   "assert raw[:2] == b'\\x1f\\x8b', raw\n"
                   "assert f.response.content == b'caf\\xe9'\n"
                   "assert f.response.text == 'caf\\xe9'\n"
                   "f.response.headers['content-encoding'] = 'br'\n"
                   "f.response.content = b'{\"a\": [1]}'\n"
                   "assert f.response.json() == {'a': [1]}\n"
                   "f.response.decode()\n"
                   "assert 'content-encoding' not in f.response.headers\n"
                   "assert f.response.raw_content == b'{\"a\": [1]}'\n");
    flow_unref(f);
}

TEST(script_flow_kill_marks_and_errors_reach_c)
{
    tscript_start();
    struct flow *f = get_flow();
    f->live = 1;
    tscript_run(f, "assert f.killable and f.error is None\n"
                   "f.marked = ':star:'\n"
                   "f.comment = 'c'\n"
                   "f.kill()\n"
                   "assert f.error.msg == 'Connection killed.' and not f.killable\n");
    ASSERT(f->killed);
    ASSERT_STREQ(f->marked, ":star:");
    ASSERT_STREQ(f->comment, "c");
    flow_unref(f);
}

/* mitmproxy.tcp and mitmproxy.connection are views: what tcp_message
 * changes in the last message is what the proxy sends. */
TEST(script_tcp_messages_and_connections_are_views)
{
    tscript_start();
    struct connection *client = connection_new(CONN_CLIENT);
    struct connection *server = connection_new(CONN_SERVER);
    addr_set(&client->peername, "10.0.0.1", 4242);
    addr_set(&server->address, "example.com", 443);
    client->state = CONN_OPEN;
    struct flow *f = flow_new_tcp(client, server);
    flow_tcp_add_message(f, 1, "hello", 5);
    flow_tcp_add_message(f, 0, "drop me", 7);
    tscript_run(f, "from mitmproxy import _wrap, tcp, connection\n"
                   "t = _wrap.flow(f._f)\n"
                   "assert isinstance(t, tcp.TCPFlow) and t.type == 'tcp'\n"
                   "assert len(t.messages) == 2 and t.messages[0].from_client\n"
                   "t.messages[0].content = b'HELLO'\n"
                   "t.messages[-1].drop()\n"
                   "assert [m.content for m in t.messages] == [b'HELLO', b'drop me']\n"
                   "c, s = t.client_conn, t.server_conn\n"
                   "assert isinstance(c, connection.Client) and c.address == ('10.0.0.1', 4242)\n"
                   "assert c.state is connection.ConnectionState.OPEN and c.connected\n"
                   "assert isinstance(s, connection.Server) and s.address == ('example.com', 443)\n"
                   "s.address = ('example.org', 8443)\n"
                   "s.sni = 'sni.example'\n"
                   "assert str(s) == 'Server(example.org:8443, state=closed)', str(s)\n"
                   "try:\n"
                   "    t.messages[2]\n"
                   "    raise AssertionError('no IndexError')\n"
                   "except IndexError:\n"
                   "    pass\n");
    ASSERT_EQ(f->messages[0].content.len, 5);
    ASSERT_MEMEQ(buf_ptr(&f->messages[0].content), f->messages[0].content.len, "HELLO", 5);
    ASSERT(f->messages[1].dropped);
    ASSERT_STREQ(server->address.host, "example.org");
    ASSERT_EQ(server->address.port, 8443);
    ASSERT_STREQ(server->sni, "sni.example");
    flow_unref(f);
    connection_unref(client);
    connection_unref(server);
}

/* query, cookies, urlencoded_form, multipart_form and trailers are live
 * multidict views: a change through them is in the C request at once. */
TEST(script_multidict_views_write_the_c_request)
{
    tscript_start();
    struct flow *f = get_flow();
    tscript_run(f, "r = f.request\n"
                   "q = r.query\n"
                   "assert q['b'] == '1' and list(q.keys()) == ['b']\n"
                   "q['mitmproxy'] = 'rocks'\n"
                   "q.add('b', '2')\n"
                   "assert r.path == '/a?b=1&mitmproxy=rocks&b=2', r.path\n"
                   "assert r.query.get_all('b') == ['1', '2']\n"
                   "del r.query['b']\n"
                   "r.headers['cookie'] = 'a=1; b=2'\n"
                   "r.cookies['c'] = '3'\n"
                   "assert r.cookies.fields == (('a', '1'), ('b', '2'), ('c', '3'))\n"
                   "r.urlencoded_form = [('x', 'a b'), ('y', '&')]\n"
                   "assert r.headers['content-type'] == 'application/x-www-form-urlencoded'\n"
                   "r.urlencoded_form['z'] = '1'\n"
                   "assert r.content == b'x=a+b&y=%26&z=1', r.content\n"
                   "r.multipart_form = [(b'f', b'v1')]\n"
                   "r.multipart_form[b'g'] = b'v2'\n"
                   "assert r.multipart_form.fields == ((b'f', b'v1'), (b'g', b'v2'))\n"
                   "assert r.headers['content-type'].startswith('multipart/form-data; boundary=')\n"
                   "assert r.trailers is None\n"
                   "r.trailers = [(b'x-checksum', b'abc')]\n"
                   "r.trailers['x-more'] = 'yes'\n"
                   "assert r.trailers.fields == ((b'x-checksum', b'abc'), (b'x-more', b'yes'))\n");
    ASSERT_STREQ(f->request->path, "/a?mitmproxy=rocks");
    ASSERT_STREQ(hdrs_get(&f->request->headers, "cookie")->value, "a=1; b=2; c=3");
    ASSERT(f->request->trailers != NULL && f->request->trailers->n == 2);
    ASSERT(memmem(buf_ptr(&f->request->content), f->request->content.len,
                  "name=\"g\"\r\n\r\nv2\r\n", 16) != NULL);
    flow_unref(f);
}

TEST(script_view_refuses_bad_values)
{
    tscript_start();
    struct flow *f = get_flow();
    tscript_run(f, "for bad in ('a\\r\\nb', 'a\\x00b'):\n"
                   "    try:\n"
                   "        f.request.headers['x'] = bad\n"
                   "        raise AssertionError(bad)\n"
                   "    except ValueError:\n"
                   "        pass\n"
                   "try:\n"
                   "    f.request.port = 70000\n"
                   "    raise AssertionError('port')\n"
                   "except ValueError:\n"
                   "    pass\n"
                   "try:\n"
                   "    f.request.method = 'G\\x00'\n"
                   "    raise AssertionError('nul')\n"
                   "except ValueError:\n"
                   "    pass\n");
    ASSERT_EQ(f->request->port, 80);
    ASSERT_STREQ(f->request->method, "GET");
    flow_unref(f);
}

/* The log lines the loader writes, for the assertions below. */
static char logged[8192];

static void
capture(enum log_level level, const char *msg, void *arg)
{
    strncat(logged, msg, sizeof(logged) - strlen(logged) - 2);
    strcat(logged, "\n");
}

static void
after(struct hook_call *call, void *arg)
{
    ++*(int *)arg;
}

TEST(script_loader_runs_hooks_in_order_and_survives_errors)
{
    char dir[] = "/tmp/mp-script-XXXXXX", a[64], b[64];
    ASSERT(mkdtemp(dir) != NULL);
    snprintf(a, sizeof(a), "%s/a.py", dir);
    snprintf(b, sizeof(b), "%s/b.py", dir);
    tscript_write(a, "calls = []\n"
                     "def load(l): calls.append('load')\n"
                     "def configure(updated): calls.append('configure')\n"
                     "class Child:\n"
                     "    def request(self, flow):\n"
                     "        flow.request.headers['x-order'] += ',child'\n"
                     "def request(flow):\n"
                     "    flow.request.headers['x-order'] = 'a'\n"
                     "    flow.request.headers['x-calls'] = ','.join(calls)\n"
                     "addons = [Child()]\n");
    tscript_write(b, "def request(flow):\n"
                     "    flow.request.headers['x-order'] += ',b'\n"
                     "    raise RuntimeError('from b')\n"
                     "def response(flow):\n"
                     "    pass\n");
    log_set_sink(capture, NULL);
    struct err e = {0};
    struct addon *loader = script_loader_new(NULL, tscript_pydir(), &e);
    if (loader == NULL)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    struct addon_chain *chain = addon_chain_new();
    addon_chain_add(chain, loader);
    struct options *o = opt_new();
    strv_push(&o->scripts, a);
    strv_push(&o->scripts, b);
    ASSERT_EQ(addon_chain_configure(chain, o, &e), 0);

    struct flow *f = get_flow();
    struct hook_data d;
    struct hook_call call;
    int done = 0;
    hook_data_init(&d, HOOK_REQUEST, f, NULL, NULL);
    addon_dispatch(chain, &call, &d, after, &done);
    ASSERT_EQ(done, 1);
    hook_data_clear(&d);
    ASSERT_STREQ(hdrs_get(&f->request->headers, "x-order")->value, "a,child,b");
    ASSERT_STREQ(hdrs_get(&f->request->headers, "x-calls")->value, "load,configure");
    ASSERT(strstr(logged, "Loading script ") != NULL);
    ASSERT(strstr(logged, "Addon error: Traceback") != NULL);
    ASSERT(strstr(logged, "b.py\", line 3, in request") != NULL);
    ASSERT(strstr(logged, "RuntimeError: from b") != NULL);

    /* A path that is not a file is refused and changes nothing. */
    struct options *bad = opt_copy(o);
    strv_push(&bad->scripts, "/nonexistent/script.py");
    ASSERT(addon_chain_configure(chain, bad, &e) < 0);
    ASSERT(strstr(e.msg, "No such script") != NULL);
    opt_free(bad);

    addon_chain_done(chain);
    addon_chain_free(chain);
    opt_free(o);
    flow_unref(f);
    log_set_sink(NULL, NULL);
    unlink(a);
    unlink(b);
    rmdir(dir);
}
