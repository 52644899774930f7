/*
 * The flow store's bench (bench/store.sh builds it against build/libmitm.a):
 * loads a flow file with view.flows.load's code (store_load) on a loop of
 * its own with worker threads, and prints one JSON line: the time to the
 * first flows shown and to all of them, RSS, the store's memory figures,
 * the time of a few view filters over every flow, and of store_select()
 * (the web API's windowed list) for a few filters and orders: the first
 * page, then the first page again after one flow changed (a comment set),
 * as under live traffic.
 *
 *   store_bench FILE [THREADS] [BUDGET_BYTES] [FILTER [ORDER]]
 *
 * With FILTER only that view filter runs (with ORDER too: only that
 * store_select()), for callgrind's --toggle-collect=store_set_filter (or
 * store_select): instruction counts do not depend on the machine's load.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include "store/store.h"
#include "util/err.h"

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A queue standing in for the master's loop (store_config.post). */
struct item {
    void (*fn)(void *);
    void *arg;
    struct item *next;
};
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct item *head, *tail;

static void
post(void *ctx, void (*fn)(void *), void *arg)
{
    (void)ctx;
    struct item *it = calloc(1, sizeof(*it));
    it->fn = fn;
    it->arg = arg;
    pthread_mutex_lock(&mu);
    if (tail)
        tail->next = it;
    else
        head = it;
    tail = it;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static void
run_until(const int *flag)
{
    while (!*flag) {
        pthread_mutex_lock(&mu);
        while (head == NULL)
            pthread_cond_wait(&cv, &mu);
        struct item *it = head;
        head = it->next;
        if (head == NULL)
            tail = NULL;
        pthread_mutex_unlock(&mu);
        it->fn(it->arg);
        free(it);
    }
}

/* CPU seconds of the whole process (every thread) so far: user + system,
 * and the system part alone (page faults, reads and writes of the file). */
static double
cpu_sys(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double
cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + cpu_sys();
}

static double t0, t_first;
static size_t adds;

static void
on_event(void *arg, enum store_event ev, const char *id, size_t index)
{
    (void)arg;
    (void)id;
    (void)index;
    if (ev == STORE_ADD && adds++ == 0)
        t_first = now() - t0;
}

static int done_flag;
static size_t loaded;
static int load_rc;

static void
on_done(void *arg, int rc, size_t n, const struct err *e)
{
    (void)arg;
    load_rc = rc;
    loaded = n;
    if (rc < 0 && e)
        fprintf(stderr, "store_bench: %s\n", e->msg);
    done_flag = 1;
}

static void
count_id(void *arg, size_t pos, const char *id)
{
    (void)pos;
    (void)id;
    (*(size_t *)arg)++;
}

/* One page of 50 rows of store_select(): wall and CPU seconds, and the list's length. */
static int
select_page(struct store *s, const char *filter, enum store_order order, double *t, double *c,
            long *total)
{
    struct err e = {0};
    size_t got = 0;
    *t = now();
    *c = cpu();
    *total = store_select(s, filter, order, 0, 0, 50, count_id, &got, NULL, NULL, &e);
    *t = now() - *t;
    *c = cpu() - *c;
    if (*total < 0)
        fprintf(stderr, "store_bench: %s\n", e.msg);
    return *total < 0 ? -1 : 0;
}

static void
first_id(void *arg, size_t pos, const char *id)
{
    (void)pos;
    snprintf(arg, 64, "%s", id);
}

static long
rss_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, strlen(field)) == 0)
            v = atol(line + strlen(field));
    if (f)
        fclose(f);
    return v;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: store_bench FILE [THREADS] [BUDGET_BYTES]\n");
        return 2;
    }
    struct store_config cfg = {
        .threads = argc > 2 ? (unsigned)atoi(argv[2]) : 2,
        .memory_budget = argc > 3 ? strtoull(argv[3], NULL, 10) : 0,
        .post = post,
    };
    struct store *s = store_new(&cfg);
    store_subscribe(s, on_event, NULL);
    struct err e = {0};
    t0 = now();
    if (store_load(s, argv[1], on_done, NULL, &e) < 0) {
        fprintf(stderr, "store_bench: %s: %s\n", argv[1], e.msg);
        return 1;
    }
    run_until(&done_flag);
    double t_all = now() - t0, load_cpu = cpu(), load_sys = cpu_sys();
    struct store_memory m;
    store_memory(s, &m);
    long rss = rss_kb("VmRSS:"), hwm = rss_kb("VmHWM:");
    printf("{\"flows\": %zu, \"rc\": %d, \"first_s\": %.4f, \"load_s\": %.3f, "
           "\"flows_per_s\": %.0f, \"load_cpu_s\": %.2f, \"load_sys_s\": %.2f, \"rss_mb\": %.1f, \"hwm_mb\": %.1f, \"per_flow_b\": %zu, "
           "\"rows_mb\": %.1f, \"index_mb\": %.1f, \"records_mb\": %.1f, \"strings_mb\": %.1f, "
           "\"bodies_ram_mb\": %.1f, \"bodies_disk_mb\": %.1f",
           loaded, load_rc, t_first, t_all, (double)loaded / t_all, load_cpu, load_sys, rss / 1024.0, hwm / 1024.0,
           m.per_flow, m.rows / 1048576.0, m.index / 1048576.0, m.records / 1048576.0,
           m.strings / 1048576.0, m.bodies_ram / 1048576.0, m.bodies_disk / 1048576.0);
    static const char *const all_filters[] = {"~m POST", "~u /api/ & ~c 201", "~h json",
                                              "~b hello", "~bs lorem", "!~q"};
    const char *const *filters = all_filters;
    size_t nfilters = sizeof(all_filters) / sizeof(all_filters[0]);
    if (argc > 5) {
        double t, c;
        long total;
        enum store_order order = STORE_ORDER_TIME;
        for (int o = 0; o <= STORE_ORDER_SIZE; o++)
            if (strcmp(argv[5], store_order_name((enum store_order)o)) == 0)
                order = (enum store_order)o;
        if (select_page(s, argv[4], order, &t, &c, &total) < 0)
            return 1;
        printf(", \"select\": {\"s\": %.3f, \"cpu_s\": %.3f, \"rows\": %ld}}\n", t, c, total);
        store_free(s);
        return 0;
    }
    if (argc > 4) {
        filters = (const char *const *)&argv[4];
        nfilters = 1;
    }
    for (size_t i = 0; i < nfilters; i++) {
        double t = now(), c = cpu();
        if (store_set_filter(s, filters[i], &e) < 0) {
            fprintf(stderr, "store_bench: %s\n", e.msg);
            return 1;
        }
        t = now() - t;
        c = cpu() - c;
        printf(", \"filter %s\": {\"s\": %.3f, \"cpu_s\": %.3f, \"shown\": %zu}", filters[i], t,
               c, store_view_len(s));
    }
    static const struct {
        const char *filter;
        enum store_order order;
    } selects[] = {{"~m POST", STORE_ORDER_TIME},
                   {"~b hello", STORE_ORDER_TIME},
                   {"~h json", STORE_ORDER_TIME},
                   {"", STORE_ORDER_URL},
                   {"", STORE_ORDER_METHOD},
                   {"", STORE_ORDER_SIZE}};
    if (argc > 4) {
        printf("}\n");
        store_free(s);
        return 0;
    }
    char some_id[64] = "";
    store_select(s, NULL, STORE_ORDER_TIME, 0, loaded / 2, 1, first_id, some_id, NULL, NULL, &e);
    for (size_t i = 0; i < sizeof(selects) / sizeof(selects[0]); i++) {
        double t1, c1, t2, c2;
        long total;
        if (select_page(s, selects[i].filter, selects[i].order, &t1, &c1, &total) < 0)
            return 1;
        /* One flow changes (a UI sets a comment), then the same page again. */
        store_set_comment(s, some_id, i % 2 ? "bench" : "");
        if (select_page(s, selects[i].filter, selects[i].order, &t2, &c2, &total) < 0)
            return 1;
        printf(", \"select %s by %s\": {\"s\": %.3f, \"cpu_s\": %.3f, \"changed_s\": %.4f, "
               "\"changed_cpu_s\": %.4f, \"rows\": %ld}",
               selects[i].filter, store_order_name(selects[i].order), t1, c1, t2, c2, total);
    }
    printf("}\n");
    store_free(s);
    return 0;
}
