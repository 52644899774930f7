/*
 * script_run_once (script.run): a script run over flows without being in
 * the scripts option, its hooks in the order the flows went through them.
 */
#include "tscript.h"

#include <unistd.h>

static struct flow *
answered_flow(void)
{
    struct flow *f = flow_new_http(NULL, NULL);
    f->request = tscript_request("GET", "/");
    struct http_response *rs = http_response_new();
    rs->status_code = 200;
    http_set_str(&rs->reason, "OK");
    http_set_str(&rs->http_version, "HTTP/1.1");
    f->response = rs;
    return f;
}

TEST(script_run_once_calls_the_flows_hooks)
{
    char dir[] = "/tmp/mp-run-XXXXXX", path[64], bad[64];
    ASSERT(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/run.py", dir);
    snprintf(bad, sizeof(bad), "%s/bad.py", dir);
    tscript_write(path, "calls = []\n"
                        "def load(l): calls.append('load')\n"
                        "def configure(updated):\n"
                        "    calls.append('configure:' + str('scripts' in updated))\n"
                        "def running(): calls.append('running')\n"
                        "def requestheaders(flow): calls.append('requestheaders')\n"
                        "def request(flow):\n"
                        "    calls.append('request')\n"
                        "    flow.request.headers['x-run'] = 'request'\n"
                        "def responseheaders(flow): calls.append('responseheaders')\n"
                        "def response(flow):\n"
                        "    calls.append('response')\n"
                        "    flow.response.headers['x-calls'] = ','.join(calls)\n"
                        "    raise RuntimeError('after the header')\n"
                        "def error(flow): flow.request.headers['x-error'] = 'called'\n");
    tscript_write(bad, "def request(flow:\n");
    const char *pydir = tscript_pydir();
    struct flow *f = answered_flow();
    struct err e = {0};
    ASSERT_EQ(script_run_once(NULL, pydir, path, &f, 1, &e), 0);
    ASSERT_STREQ(hdrs_get(&f->request->headers, "x-run")->value, "request");
    /* No load, as in mitmproxy; configure with every option; no error hook
     * for a flow without an error; the exception was logged, not returned. */
    ASSERT_STREQ(hdrs_get(&f->response->headers, "x-calls")->value,
                 "configure:True,running,requestheaders,request,responseheaders,response");
    ASSERT(hdrs_get(&f->request->headers, "x-error") == NULL);
    /* Run again: a fresh module, the same hooks once more. */
    ASSERT_EQ(script_run_once(NULL, pydir, path, &f, 1, &e), 0);
    ASSERT_STREQ(hdrs_get(&f->response->headers, "x-calls")->value,
                 "configure:True,running,requestheaders,request,responseheaders,response");
    /* No file, a file that is not Python: errors, and the flow is as it was. */
    ASSERT_EQ(script_run_once(NULL, pydir, "/nonexistent/run.py", &f, 1, &e), MP_ERR_NOTFOUND);
    ASSERT(strstr(e.msg, "No such script: /nonexistent/run.py") != NULL);
    ASSERT_EQ(script_run_once(NULL, pydir, dir, &f, 1, &e), MP_ERR_NOTFOUND);
    ASSERT_EQ(script_run_once(NULL, pydir, bad, &f, 1, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "did not load") != NULL);
    /* No flows: loaded and configured, nothing else. */
    ASSERT_EQ(script_run_once(NULL, pydir, path, NULL, 0, &e), 0);
    flow_unref(f);
    unlink(path);
    unlink(bad);
    rmdir(dir);
}
