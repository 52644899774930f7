#include "http/message.h"
#include "tflow.h"

struct flow *
tflow_http(const char *method, const char *path, int status)
{
    struct flow *f = flow_new_http(NULL, NULL);
    f->live = 0;
    f->request = http_request_new();
    http_set_str(&f->request->method, method);
    http_set_str(&f->request->scheme, "http");
    http_set_str(&f->request->host, "example.com");
    f->request->port = 80;
    http_set_str(&f->request->path, path);
    http_set_str(&f->request->http_version, "HTTP/1.1");
    if (status) {
        f->response = http_response_new();
        f->response->status_code = status;
        http_set_str(&f->response->http_version, "HTTP/1.1");
    }
    return f;
}
