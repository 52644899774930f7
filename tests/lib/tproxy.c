#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "tproxy.h"
#include "util/log.h"

void
tproxy_init(struct tproxy *p, const char *mode)
{
    struct err e = {0};
    memset(p, 0, sizeof(*p));
    log_set_level(LOG_ERROR);
    p->opts = opt_new();
    if (mode)
        ASSERT_EQ(opt_set(p->opts, "mode", mode, &e), 0);
}

void
tproxy_listen(struct tproxy *p)
{
    struct err e = {0};
    ASSERT_EQ(server_listen(p->srv, "127.0.0.1", 0, &e), 0);
    p->port = server_port(p->srv);
    ASSERT(p->port > 0);
}

static void *
run(void *arg)
{
    struct tproxy *p = arg;
    p->rc = server_run(p->srv);
    return NULL;
}

void
tproxy_run(struct tproxy *p)
{
    p->rc = -1;
    ASSERT_EQ(pthread_create(&p->thread, NULL, run, p), 0);
}

void
tproxy_start(struct tproxy *p, const char *mode, struct addon *a)
{
    struct err e = {0};
    tproxy_init(p, mode);
    ASSERT_EQ(proxy_config_init(&p->cfg, p->opts, &e), 0);
    p->chain = addon_chain_new();
    addon_chain_add(p->chain, a);
    p->srv = server_new(&p->cfg, p->chain);
    ASSERT(p->srv != NULL);
    tproxy_listen(p);
    tproxy_run(p);
}

void
tproxy_stop(struct tproxy *p)
{
    ASSERT_EQ(kill(getpid(), SIGTERM), 0);
    ASSERT_EQ(pthread_join(p->thread, NULL), 0);
    ASSERT_EQ(p->rc, 0);
    server_free(p->srv);
    addon_chain_free(p->chain);
    proxy_config_clear(&p->cfg);
    opt_free(p->opts);
}
