/*
 * --mode parsing: every mode, the @PORT / @HOST:PORT listen suffix,
 * upstream over TLS and through SOCKS5 (with credentials), the errors, and
 * proxy_config_init with several modes.
 */
#include <string.h>

#include "../lib/test.h"
#include "options/opt.h"
#include "proxy/context.h"

TEST(mode_parse_plain_modes)
{
    struct proxy_mode m;
    struct err e = {0};
    ASSERT_EQ(proxy_mode_parse("regular", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_REGULAR);
    ASSERT_EQ(m.listen_port, -1);
    ASSERT_EQ(m.listen_host_given, 0);
    ASSERT_EQ(proxy_mode_parse("transparent", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_TRANSPARENT);
    ASSERT_EQ(proxy_mode_parse("socks5", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_SOCKS5);
    ASSERT_EQ(proxy_mode_parse("reverse:http://example.com:8081", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_REVERSE);
    ASSERT_STREQ(m.host, "example.com");
    ASSERT_EQ(m.port, 8081);
    ASSERT_STREQ(proxy_mode_description(&m), "Reverse proxy");
}

TEST(mode_parse_listen_suffix)
{
    struct proxy_mode m;
    struct err e = {0};
    ASSERT_EQ(proxy_mode_parse("regular@8080", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_REGULAR);
    ASSERT_EQ(m.listen_port, 8080);
    ASSERT_EQ(m.listen_host_given, 0);
    ASSERT_EQ(proxy_mode_parse("socks5@127.0.0.1:1080", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_SOCKS5);
    ASSERT_EQ(m.listen_port, 1080);
    ASSERT_EQ(m.listen_host_given, 1);
    ASSERT_STREQ(m.listen_host, "127.0.0.1");
    ASSERT_STREQ(proxy_mode_description(&m), "SOCKS v5 proxy");
    ASSERT_EQ(proxy_mode_parse("regular@[::1]:9000", &m, &e), 0);
    ASSERT_STREQ(m.listen_host, "::1");
    ASSERT_EQ(m.listen_port, 9000);
    ASSERT_EQ(proxy_mode_parse("regular@:9001", &m, &e), 0);
    ASSERT_STREQ(m.listen_host, "");
    ASSERT_EQ(m.listen_host_given, 1);
    ASSERT_EQ(proxy_mode_parse("reverse:https://b.test@8443", &m, &e), 0);
    ASSERT_STREQ(m.host, "b.test");
    ASSERT_EQ(m.port, 443);
    ASSERT_EQ(m.listen_port, 8443);

    /* The listen address falls back on the options. */
    struct options *o = opt_new();
    ASSERT_EQ(proxy_mode_parse("regular", &m, &e), 0);
    ASSERT_EQ(proxy_mode_listen_port(&m, o), 8080);
    ASSERT_STREQ(proxy_mode_listen_host(&m, o), "");
    ASSERT_EQ(proxy_mode_parse("regular@1.2.3.4:7", &m, &e), 0);
    ASSERT_EQ(proxy_mode_listen_port(&m, o), 7);
    ASSERT_STREQ(proxy_mode_listen_host(&m, o), "1.2.3.4");
    opt_free(o);
}

TEST(mode_parse_upstream_https)
{
    struct proxy_mode m;
    struct err e = {0};
    ASSERT_EQ(proxy_mode_parse("upstream:https://proxy.test:3129", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_UPSTREAM);
    ASSERT_STREQ(m.scheme, "https");
    ASSERT_STREQ(m.host, "proxy.test");
    ASSERT_EQ(m.port, 3129);
    ASSERT_STREQ(proxy_mode_description(&m), "HTTP(S) proxy (upstream mode)");
    ASSERT_EQ(proxy_mode_parse("upstream:https://proxy.test", &m, &e), 0);
    ASSERT_EQ(m.port, 443);
    ASSERT_EQ(proxy_mode_parse("upstream:http://proxy.test@3128", &m, &e), 0);
    ASSERT_STREQ(m.scheme, "http");
    ASSERT_EQ(m.port, 80);
    ASSERT_EQ(m.listen_port, 3128);
}

TEST(mode_parse_upstream_socks5)
{
    struct proxy_mode m;
    struct err e = {0};
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://127.0.0.1:1080", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_UPSTREAM_SOCKS5);
    ASSERT_STREQ(m.scheme, "socks5");
    ASSERT_STREQ(m.host, "127.0.0.1");
    ASSERT_EQ(m.port, 1080);
    ASSERT_STREQ(m.user, "");
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://sockshost", &m, &e), 0);
    ASSERT_EQ(m.port, 1080);
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://[::1]", &m, &e), 0);
    ASSERT_STREQ(m.host, "::1");
    ASSERT_EQ(m.port, 1080);
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://user:p%:ss@h.test:1081", &m, &e), 0);
    ASSERT_STREQ(m.user, "user");
    ASSERT_STREQ(m.pass, "p%:ss");
    ASSERT_STREQ(m.host, "h.test");
    ASSERT_EQ(m.port, 1081);
    ASSERT_EQ(m.listen_port, -1);
    /* A single "@" followed by digits only is the listen port... */
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://h.test:1081@9090", &m, &e), 0);
    ASSERT_STREQ(m.user, "");
    ASSERT_EQ(m.listen_port, 9090);
    /* ... and with credentials the listen suffix is a second "@". */
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://u:p@h.test@127.0.0.1:9091", &m, &e), 0);
    ASSERT_STREQ(m.user, "u");
    ASSERT_STREQ(m.host, "h.test");
    ASSERT_EQ(m.listen_port, 9091);
    ASSERT_STREQ(m.listen_host, "127.0.0.1");
}

TEST(mode_parse_errors)
{
    struct proxy_mode m;
    struct err e = {0};
    ASSERT_EQ(proxy_mode_parse("sideways", &m, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "sideways") != NULL);
    ASSERT_EQ(proxy_mode_parse("regular@", &m, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "listen port") != NULL);
    ASSERT_EQ(proxy_mode_parse("regular@70000", &m, &e), MP_ERR_INVAL);
    ASSERT_EQ(proxy_mode_parse("regular@x", &m, &e), MP_ERR_INVAL);
    ASSERT_EQ(proxy_mode_parse("regular@host:", &m, &e), MP_ERR_INVAL);
    ASSERT_EQ(proxy_mode_parse("regular:x", &m, &e), MP_ERR_INVAL);
    ASSERT_EQ(proxy_mode_parse("upstream:ftp://h", &m, &e), MP_ERR_INVAL);
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://", &m, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "SOCKS5") != NULL);
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://useronly@h:1", &m, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "user:password") != NULL);
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://:pw@h:1", &m, &e), MP_ERR_INVAL);
    ASSERT_EQ(proxy_mode_parse("upstream:socks5://h:99999", &m, &e), MP_ERR_INVAL);
}

TEST(mode_config_several_listeners)
{
    struct options *o = opt_new();
    struct proxy_config cfg, one;
    struct err e = {0};
    /* The first set replaces the default "regular", later ones append. */
    ASSERT_EQ(opt_set(o, "mode", "regular@18080", &e), 0);
    ASSERT_EQ(opt_set(o, "mode", "socks5@18081", &e), 0);
    ASSERT_EQ(o->mode.n, 2);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), 0);
    ASSERT_EQ(cfg.nmodes, 2);
    ASSERT_EQ(cfg.mode.kind, PROXY_MODE_REGULAR);
    proxy_config_for_mode(&cfg, 1, &one);
    ASSERT_EQ(one.mode.kind, PROXY_MODE_SOCKS5);
    ASSERT_EQ(one.opts, o);
    proxy_config_clear(&one); /* a no-op on a copy */
    ASSERT(cfg.modes != NULL);
    proxy_config_clear(&cfg);
    opt_free(o);
}

TEST(mode_config_same_port_refused)
{
    struct options *o = opt_new();
    struct proxy_config cfg;
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "mode", "regular", &e), 0);
    ASSERT_EQ(opt_set(o, "mode", "socks5", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "both listen on port 8080") != NULL);
    opt_free(o);

    /* Different hosts on one port are fine; a wildcard host overlaps all. */
    o = opt_new();
    ASSERT_EQ(opt_set(o, "mode", "regular@127.0.0.1:9000", &e), 0);
    ASSERT_EQ(opt_set(o, "mode", "socks5@127.0.0.2:9000", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), 0);
    proxy_config_clear(&cfg);
    ASSERT_EQ(opt_set(o, "mode", "transparent@9000", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), MP_ERR_INVAL);
    opt_free(o);

    /* Port 0 picks a free port each time: no clash. */
    o = opt_new();
    ASSERT_EQ(opt_set(o, "mode", "regular@0", &e), 0);
    ASSERT_EQ(opt_set(o, "mode", "socks5@0", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), 0);
    proxy_config_clear(&cfg);
    opt_free(o);
}

TEST(mode_config_bad_mode_names_it)
{
    struct options *o = opt_new();
    struct proxy_config cfg;
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "mode", "regular@1", &e), 0);
    ASSERT_EQ(opt_set(o, "mode", "upstream:socks5://x@y", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "upstream:socks5://x@y") != NULL);
    opt_free(o);
}

TEST(mode_parse_dns)
{
    struct proxy_mode m;
    struct err e = {0};
    struct options *o = opt_new();
    ASSERT_EQ(proxy_mode_parse("dns", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_DNS);
    ASSERT_STREQ(m.host, "");
    ASSERT_STREQ(proxy_mode_description(&m), "DNS server");
    /* Port 53 (dns_listen_port) unless told otherwise. */
    ASSERT_EQ(proxy_mode_listen_port(&m, o), 53);
    ASSERT_EQ(proxy_mode_parse("dns@5353", &m, &e), 0);
    ASSERT_EQ(proxy_mode_listen_port(&m, o), 5353);
    ASSERT_EQ(proxy_mode_parse("reverse:dns://10.0.0.53", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_DNS);
    ASSERT_STREQ(m.scheme, "dns");
    ASSERT_STREQ(m.host, "10.0.0.53");
    ASSERT_EQ(m.port, 53);
    ASSERT_EQ(proxy_mode_parse("reverse:dns://[::1]:5300@127.0.0.1:5353", &m, &e), 0);
    ASSERT_STREQ(m.host, "::1");
    ASSERT_EQ(m.port, 5300);
    ASSERT_EQ(m.listen_port, 5353);
    ASSERT(proxy_mode_parse("reverse:dns://dns.example", &m, &e) < 0);
    ASSERT(strstr(e.msg, "must be an IP address") != NULL);
    ASSERT(proxy_mode_parse("reverse:dns://", &m, &e) < 0);
    opt_free(o);
}

TEST(mode_parse_dns_mode_option)
{
    struct proxy_mode m;
    struct err e = {0};
    ASSERT_EQ(proxy_mode_parse_dns("regular", &m, &e), 0);
    ASSERT_EQ(m.kind, PROXY_MODE_DNS);
    ASSERT_STREQ(m.host, "");
    ASSERT_EQ(proxy_mode_parse_dns("reverse:8.8.8.8", &m, &e), 0);
    ASSERT_STREQ(m.host, "8.8.8.8");
    ASSERT_EQ(m.port, 53);
    ASSERT_EQ(proxy_mode_parse_dns("reverse:127.0.0.1:5353", &m, &e), 0);
    ASSERT_EQ(m.port, 5353);
    ASSERT_EQ(proxy_mode_parse_dns("reverse:example.com", &m, &e), MP_ERR_INVAL);
    ASSERT_STREQ(
        e.msg, "Invalid DNS reverse mode, expected 'reverse:ip[:port]' got 'reverse:example.com'.");
    ASSERT_EQ(proxy_mode_parse_dns("bogus", &m, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "Invalid DNS mode 'bogus'.");
    ASSERT_EQ(proxy_mode_parse_dns("transparent", &m, &e), MP_ERR_UNSUPPORTED);
}

/* dns_server adds a DNS server after the --modes, on dns_listen_host (127.0.0.1
 * when empty) and dns_listen_port, doing what dns_mode says. */
TEST(mode_config_dns_server_option)
{
    struct options *o = opt_new();
    struct proxy_config cfg;
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "dns_server", "true", &e), 0);
    ASSERT_EQ(opt_set(o, "dns_listen_port", "5353", &e), 0);
    ASSERT_EQ(opt_set(o, "dns_mode", "reverse:9.9.9.9:53", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), 0);
    ASSERT_EQ(cfg.nmodes, 2);
    ASSERT_EQ(cfg.modes[0].kind, PROXY_MODE_REGULAR);
    ASSERT_EQ(cfg.modes[1].kind, PROXY_MODE_DNS);
    ASSERT_STREQ(cfg.modes[1].host, "9.9.9.9");
    ASSERT_STREQ(proxy_mode_listen_host(&cfg.modes[1], o), "127.0.0.1");
    ASSERT_EQ(proxy_mode_listen_port(&cfg.modes[1], o), 5353);
    proxy_config_clear(&cfg);

    /* A bad dns_mode is refused even without a DNS server, as 8.1.1 does. */
    ASSERT_EQ(opt_set(o, "dns_server", "false", &e), 0);
    ASSERT_EQ(opt_set(o, "dns_mode", "reverse:nowhere", &e), 0);
    ASSERT(proxy_config_init(&cfg, o, &e) < 0);
    ASSERT(strstr(e.msg, "Invalid DNS reverse mode") != NULL);
    /* Transparent DNS is refused only when a DNS server would run. */
    ASSERT_EQ(opt_set(o, "dns_mode", "transparent", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), 0);
    proxy_config_clear(&cfg);
    ASSERT_EQ(opt_set(o, "dns_server", "true", &e), 0);
    ASSERT_EQ(proxy_config_init(&cfg, o, &e), MP_ERR_UNSUPPORTED);
    /* The proxy and the DNS server on one port cannot both listen. */
    ASSERT_EQ(opt_set(o, "dns_mode", "regular", &e), 0);
    ASSERT_EQ(opt_set(o, "dns_listen_port", "8080", &e), 0);
    ASSERT_EQ(opt_set(o, "listen_host", "127.0.0.1", &e), 0);
    ASSERT(proxy_config_init(&cfg, o, &e) < 0);
    ASSERT(strstr(e.msg, "'dns_server'") != NULL);
    opt_free(o);
}
