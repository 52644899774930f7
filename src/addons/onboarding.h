/*
 * The onboarding addon (mitmproxy/addons/onboarding.py of 8.1.1): answers
 * requests for http://mitm.it/ through the proxy itself, with a page that
 * explains how to install the CA certificate and the certificate files in
 * the formats each platform wants.
 *
 * A request is served when the onboarding option is on, the host the client
 * asked for (the Host header's host, else the request's host, as
 * mitmproxy's pretty_host) equals onboarding_host ignoring case, and its
 * port equals onboarding_port. As in mitmproxy, https://mitm.it/ (port 443)
 * is therefore not served with the default port of 80.
 *
 * Routes, as mitmproxy's onboarding app: "/" the instructions page,
 * "/cert/pem", "/cert/p12" and "/cert/cer" the files mitmproxy-ca-cert.* read
 * from confdir at request time. GET and HEAD are answered, OPTIONS gets the
 * allowed methods, anything else 405; unknown paths 404; a certificate file
 * that does not exist yet 404 with a message naming confdir.
 */
#ifndef MP_ADDONS_ONBOARDING_H
#define MP_ADDONS_ONBOARDING_H

#include "addons/addon.h"

/*
 * A new onboarding addon; the caller (usually a chain) frees it through its
 * ops. It reads onboarding, onboarding_host, onboarding_port and confdir in
 * configure; before that it serves mitm.it:80 from ~/.mitmproxy.
 */
struct addon *addon_onboarding_new(void);

#endif
