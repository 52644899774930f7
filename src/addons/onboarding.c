/*
 * The onboarding addon. mitmproxy runs a Flask app for this; the app has
 * one page and three file downloads, so here the routes are a table and the
 * page is a string. The certificate files are read on every request rather
 * than at start-up: they are small, and reading late means a CA created or
 * replaced after configure() is served as it is on disk now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addons/onboarding.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "http/message.h"
#include "http/url.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* CA files are a few kilobytes; anything far bigger is not one of ours. */
#define CERT_MAX (1024 * 1024)

#define ALLOWED "GET, HEAD, OPTIONS"
#define HTML_TYPE "text/html; charset=utf-8"

struct onboarding {
    struct addon base;
    int enabled;
    char *host; /* owned */
    long port;
    char *confdir; /* owned, "~" already expanded */
};

/* The downloads: route, file in confdir, Content-Type (onboardingapp's read_cert). */
static const struct {
    const char *route;
    const char *file;
    const char *type;
} certs[] = {
    {"/cert/pem", "mitmproxy-ca-cert.pem", "application/x-x509-ca-cert"},
    {"/cert/p12", "mitmproxy-ca-cert.p12", "application/x-pkcs12"},
    {"/cert/cer", "mitmproxy-ca-cert.cer", "application/x-x509-ca-cert"},
};

#define NCERTS (sizeof(certs) / sizeof(certs[0]))

/* The instructions page. Our own words and markup; it needs no other files. */
static const char index_html[] =
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>mitmproxy: install the CA certificate</title>\n"
    "<style>\n"
    "body { font-family: sans-serif; max-width: 46em; margin: 0 auto; padding: 1em; "
    "line-height: 1.45; color: #222; }\n"
    "header { border-bottom: 2px solid #444; margin-bottom: 1em; }\n"
    "section { border: 1px solid #ccc; border-radius: 6px; padding: 0 1em 0.5em; "
    "margin: 1em 0; }\n"
    "a.get { display: inline-block; background: #2a7a2a; color: #fff; padding: 0.3em 0.8em; "
    "border-radius: 4px; text-decoration: none; margin: 0 0.4em 0.4em 0; }\n"
    "code { background: #f1f1f1; padding: 0 0.25em; word-break: break-all; }\n"
    ".note { color: #666; font-size: 0.9em; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<header><h1>Trust this mitmproxy instance</h1></header>\n"
    "<p>You are looking at this page because your traffic goes through mitmproxy. To let it "
    "read HTTPS, your device has to trust mitmproxy's certificate authority (CA). Pick your "
    "platform, download the certificate in the format it expects and follow the steps.</p>\n"
    "\n"
    "<section id=\"windows\">\n"
    "<h2>Windows</h2>\n"
    "<p><a class=\"get\" href=\"/cert/p12\">Download mitmproxy-ca-cert.p12</a></p>\n"
    "<ol>\n"
    "<li>Open the downloaded .p12 file; the certificate import wizard starts.</li>\n"
    "<li>Choose whether only you (Current User) or every user (Local Machine) should trust it, "
    "then continue.</li>\n"
    "<li>Keep the file name and leave the password empty.</li>\n"
    "<li>Choose <em>Place all certificates in the following store</em> and select "
    "<em>Trusted Root Certification Authorities</em>.</li>\n"
    "<li>Finish the wizard and accept the security warning.</li>\n"
    "</ol>\n"
    "<p>From a command prompt run as administrator, this does the same: "
    "<code>certutil -addstore root mitmproxy-ca-cert.cer</code> "
    "(with the <a href=\"/cert/cer\">.cer file</a>).</p>\n"
    "</section>\n"
    "\n"
    "<section id=\"linux\">\n"
    "<h2>Linux</h2>\n"
    "<p><a class=\"get\" href=\"/cert/pem\">Download mitmproxy-ca-cert.pem</a></p>\n"
    "<p>Debian, Ubuntu and derivatives:</p>\n"
    "<ol>\n"
    "<li><code>sudo cp mitmproxy-ca-cert.pem /usr/local/share/ca-certificates/mitmproxy.crt"
    "</code></li>\n"
    "<li><code>sudo update-ca-certificates</code></li>\n"
    "</ol>\n"
    "<p>Fedora, RHEL and derivatives: copy the file to "
    "<code>/etc/pki/ca-trust/source/anchors/</code> and run "
    "<code>sudo update-ca-trust</code>.</p>\n"
    "</section>\n"
    "\n"
    "<section id=\"macos\">\n"
    "<h2>macOS</h2>\n"
    "<p><a class=\"get\" href=\"/cert/pem\">Download mitmproxy-ca-cert.pem</a></p>\n"
    "<ol>\n"
    "<li>Open the downloaded .pem file; Keychain Access adds it.</li>\n"
    "<li>Find the certificate named <em>mitmproxy</em> and open it.</li>\n"
    "<li>Under <em>Trust</em>, set <em>When using this certificate</em> to "
    "<em>Always Trust</em>.</li>\n"
    "<li>Close the window and confirm with your password.</li>\n"
    "</ol>\n"
    "<p>Or in a terminal: <code>sudo security add-trusted-cert -d -p ssl -p basic -k "
    "/Library/Keychains/System.keychain mitmproxy-ca-cert.pem</code></p>\n"
    "</section>\n"
    "\n"
    "<section id=\"ios\">\n"
    "<h2>iOS and iPadOS</h2>\n"
    "<p><a class=\"get\" href=\"/cert/pem\">Download mitmproxy-ca-cert.pem</a></p>\n"
    "<ol>\n"
    "<li>Download with Safari: other browsers may not offer to install the profile.</li>\n"
    "<li>Install it under <em>Settings &rarr; General &rarr; VPN &amp; Device Management"
    "</em>.</li>\n"
    "<li>Then turn on full trust for it under <em>Settings &rarr; General &rarr; About &rarr; "
    "Certificate Trust Settings</em>. Without this last step HTTPS will not work.</li>\n"
    "</ol>\n"
    "</section>\n"
    "\n"
    "<section id=\"android\">\n"
    "<h2>Android</h2>\n"
    "<p><a class=\"get\" href=\"/cert/cer\">Download mitmproxy-ca-cert.cer</a></p>\n"
    "<ol>\n"
    "<li>Open the downloaded .cer file, or install it from <em>Settings &rarr; Security &rarr; "
    "Encryption &amp; credentials &rarr; Install a certificate &rarr; CA certificate</em> "
    "(the menu names vary between devices).</li>\n"
    "<li>Give it any name, for example <em>mitmproxy</em>, and confirm.</li>\n"
    "</ol>\n"
    "<p class=\"note\">Since Android 7, apps trust user-installed CAs only if they opt in; "
    "browsers usually do, most other apps do not.</p>\n"
    "</section>\n"
    "\n"
    "<section id=\"firefox\">\n"
    "<h2>Firefox</h2>\n"
    "<p><a class=\"get\" href=\"/cert/pem\">Download mitmproxy-ca-cert.pem</a></p>\n"
    "<p>Firefox keeps its own list of CAs on most systems.</p>\n"
    "<ol>\n"
    "<li>Open <em>Settings &rarr; Privacy &amp; Security</em> and click "
    "<em>View Certificates</em>.</li>\n"
    "<li>On the <em>Authorities</em> tab click <em>Import</em> and pick the file.</li>\n"
    "<li>Tick <em>Trust this CA to identify websites</em> and confirm.</li>\n"
    "</ol>\n"
    "</section>\n"
    "\n"
    "<section id=\"other\">\n"
    "<h2>Other platforms</h2>\n"
    "<p><a class=\"get\" href=\"/cert/pem\">Download mitmproxy-ca-cert.pem</a>"
    "<a class=\"get\" href=\"/cert/p12\">Download mitmproxy-ca-cert.p12</a>"
    "<a class=\"get\" href=\"/cert/cer\">Download mitmproxy-ca-cert.cer</a></p>\n"
    "<p>PEM is the text form, CER the same certificate in binary (DER), P12 a PKCS#12 "
    "bundle holding it.</p>\n"
    "</section>\n"
    "\n"
    "<p class=\"note\">This page comes from the mitmproxy instance you are connected "
    "through. Its CA was generated on that machine the first time mitmproxy ran and is not "
    "shared with any other installation, so trusting it lets only this instance read your "
    "traffic.</p>\n"
    "</body>\n"
    "</html>\n";

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct onboarding *ob = (struct onboarding *)a;
    (void)e;
    ob->enabled = o->onboarding;
    ob->port = o->onboarding_port;
    free(ob->host);
    ob->host = xstrdup(o->onboarding_host);
    free(ob->confdir);
    ob->confdir = path_expand_home(o->confdir);
    return 0;
}

/*
 * The host the client asked for: the Host header's host when there is one
 * (mitmproxy's pretty_host, which matters in transparent mode where the
 * request's host is an address), else the request's host.
 */
static struct slice
asked_host(const struct http_request *req)
{
    const struct hdr *h = hdrs_get(&req->headers, "Host");
    if (h == NULL || h->value_len == 0)
        return slice_cstr(req->host);
    const char *p = h->value;
    size_t n = h->value_len;
    if (p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (close)
            return slice_from(p + 1, (size_t)(close - p - 1));
        return slice_from(p, n);
    }
    const char *colon = memchr(p, ':', n);
    return slice_from(p, colon ? (size_t)(colon - p) : n);
}

static int
should_serve(const struct onboarding *ob, const struct flow *f)
{
    const struct http_request *req = f->request;
    if (!ob->enabled || f->type != FLOW_HTTP || req == NULL || f->response || f->error || !f->live)
        return 0;
    return req->port == ob->port && slice_eq_cstr_nocase(asked_host(req), ob->host);
}

/* The route part of a request path: no query, %XX decoded (as a WSGI app sees it). */
static char *
route_of(const char *path)
{
    size_t n = strcspn(path, "?#");
    struct buf b = BUF_INIT;
    http_unquote(&b, path, n, 0);
    /* A decoded NUL would cut the route short ("/cert/pem%00x"): such a path
     * stays as it came, and matches no route. */
    char *r = memchr(buf_ptr(&b), '\0', b.len) ? xstrndup(path, n) : buf_strdup(&b);
    buf_clear(&b);
    return r;
}

static void
html_escape(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_append_str(b, "&amp;");
            break;
        case '<':
            buf_append_str(b, "&lt;");
            break;
        case '>':
            buf_append_str(b, "&gt;");
            break;
        case '"':
            buf_append_str(b, "&quot;");
            break;
        default:
            buf_append(b, s, 1);
        }
    }
}

/*
 * Sets f->response. body (len bytes) becomes the content, except for HEAD,
 * where only Content-Length tells its size. disposition_file, if not NULL,
 * names the download.
 */
static void
respond(struct flow *f, int status, const char *type, const void *body, size_t len,
        const char *disposition_file)
{
    struct http_response *r = http_response_new();
    http_set_str(&r->http_version, "HTTP/1.1");
    r->status_code = status;
    http_set_str(&r->reason, http_status_reason(status));
    hdrs_add_cstr(&r->headers, "Content-Type", type);
    char num[32];
    snprintf(num, sizeof(num), "%zu", len);
    hdrs_add_cstr(&r->headers, "Content-Length", num);
    if (disposition_file) {
        /* The app's own header: "inline" lets browsers that know the type offer to install. */
        char disp[128];
        snprintf(disp, sizeof(disp), "inline; filename=%s", disposition_file);
        hdrs_add_cstr(&r->headers, "Content-Disposition", disp);
    }
    /* The CA can be regenerated; a cached copy would install the old one. */
    hdrs_add_cstr(&r->headers, "Cache-Control", "no-cache");
    if (strcmp(f->request->method, "HEAD") != 0)
        buf_set(&r->content, body, len);
    r->timestamp_start = clock_now();
    r->timestamp_end = r->timestamp_start;
    f->response = r;
}

/* A short HTML error page; msg is plain text and is escaped here. */
static void
respond_error(struct flow *f, int status, const char *msg)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "<!doctype html>\n<html lang=\"en\">\n<title>%d %s</title>\n<h1>%s</h1>\n<p>",
               status, http_status_reason(status), http_status_reason(status));
    html_escape(&b, msg);
    buf_append_str(&b, "</p>\n</html>\n");
    respond(f, status, HTML_TYPE, buf_ptr(&b), b.len, NULL);
    buf_clear(&b);
}

/* Reads path whole into out; returns 0 or -errno (-EFBIG past CERT_MAX). */
static int
read_all(const char *path, struct buf *out)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return -errno;
    int rc = 0;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (out->len + n > CERT_MAX) {
            rc = -EFBIG;
            break;
        }
        buf_append(out, chunk, n);
    }
    if (rc == 0 && ferror(fp))
        rc = -EIO;
    fclose(fp);
    return rc;
}

static void
serve_cert(struct onboarding *ob, struct flow *f, size_t i)
{
    struct buf path = BUF_INIT, data = BUF_INIT;
    buf_printf(&path, "%s/%s", ob->confdir, certs[i].file);
    char *p = buf_strdup(&path);
    int rc = read_all(p, &data);
    if (rc == 0) {
        respond(f, 200, certs[i].type, buf_ptr(&data), data.len, certs[i].file);
    } else {
        char msg[512];
        if (rc == -ENOENT || rc == -ENOTDIR)
            snprintf(msg, sizeof(msg),
                     "CA certificate not found in %s: start mitmproxy once to create it.",
                     ob->confdir);
        else
            snprintf(msg, sizeof(msg), "Cannot read %s: %s", p, strerror(-rc));
        respond_error(f, rc == -ENOENT || rc == -ENOTDIR ? 404 : 500, msg);
    }
    free(p);
    buf_clear(&path);
    buf_clear(&data);
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct onboarding *ob = (struct onboarding *)a;
    struct flow *f = call->data->flow;
    if (f == NULL || !should_serve(ob, f))
        return ADDON_CONTINUE;

    char *route = route_of(f->request->path);
    const char *method = f->request->method;
    int known = strcmp(route, "/") == 0;
    size_t cert = NCERTS;
    for (size_t i = 0; i < NCERTS && !known; i++)
        if (strcmp(route, certs[i].route) == 0)
            known = 1, cert = i;

    /* Routing comes first, as in the app: an unknown path is 404 whatever the method. */
    int allow = 0;
    if (!known) {
        respond_error(f, 404, "The requested URL was not found on this server.");
    } else if (strcmp(method, "OPTIONS") == 0) {
        respond(f, 200, HTML_TYPE, "", 0, NULL);
        allow = 1;
    } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        respond_error(f, 405, "The method is not allowed for the requested URL.");
        allow = 1;
    } else if (cert < NCERTS) {
        serve_cert(ob, f, cert);
    } else {
        respond(f, 200, HTML_TYPE, index_html, sizeof(index_html) - 1, NULL);
    }
    if (allow)
        hdrs_add_cstr(&f->response->headers, "Allow", ALLOWED);
    free(route);
    return ADDON_CONTINUE;
}

static void
onboarding_free(struct addon *a)
{
    struct onboarding *ob = (struct onboarding *)a;
    free(ob->host);
    free(ob->confdir);
    free(ob);
}

/* Only live flows are answered (should_serve): a loaded one never is. */
static int
acts_on_loaded(struct addon *a)
{
    (void)a;
    return 0;
}

static const struct addon_ops onboarding_ops = {
    .name = "onboarding",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = onboarding_free,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_onboarding_new(void)
{
    struct onboarding *ob = xcalloc(1, sizeof(*ob));
    ob->base.ops = &onboarding_ops;
    /* The option defaults, for a chain that is never configured. */
    ob->enabled = 1;
    ob->host = xstrdup("mitm.it");
    ob->port = 80;
    ob->confdir = path_expand_home("~/.mitmproxy");
    return &ob->base;
}
