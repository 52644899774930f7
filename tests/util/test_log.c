#include <string.h>

#include "../lib/test.h"
#include "util/buf.h"
#include "util/log.h"

static void
collect(enum log_level l, const char *msg, void *arg)
{
    buf_printf(arg, "%s:%s;", log_level_name(l), msg);
}

TEST(log_sinks_each_at_their_level)
{
    struct buf term = BUF_INIT, events = BUF_INIT, third = BUF_INIT;
    log_set_level(LOG_INFO);
    int a = log_add_sink(collect, &term, -1);          /* follows the global level */
    int b = log_add_sink(collect, &events, LOG_DEBUG); /* an event log keeps everything */
    ASSERT(a >= 0 && b >= 0 && a != b);
    log_msg(LOG_INFO, "one");
    log_debug("two");
    log_msg(LOG_WARN, "%d", 3);
    ASSERT_BUF_STR(&term, "info:one;warn:3;");
    ASSERT_BUF_STR(&events, "info:one;debug:two;warn:3;");

    log_set_sink_level(b, LOG_ERROR);
    log_set_level(LOG_DEBUG);
    log_debug("four");
    ASSERT_BUF_STR(&term, "info:one;warn:3;debug:four;");
    ASSERT_BUF_STR(&events, "info:one;debug:two;warn:3;");

    log_remove_sink(a);
    int c = log_add_sink(collect, &third, -1); /* reuses the free slot */
    ASSERT_EQ(c, a);
    log_msg(LOG_ERROR, "five");
    ASSERT_BUF_STR(&term, "info:one;warn:3;debug:four;");
    ASSERT_BUF_STR(&events, "info:one;debug:two;warn:3;error:five;");
    ASSERT_BUF_STR(&third, "error:five;");

    /* log_set_sink replaces them all. */
    log_set_sink(collect, &term);
    log_msg(LOG_ERROR, "six");
    ASSERT_BUF_STR(&events, "info:one;debug:two;warn:3;error:five;");
    ASSERT_BUF_STR(&term, "info:one;warn:3;debug:four;error:six;");
    log_set_sink(NULL, NULL);
    buf_clear(&term);
    buf_clear(&events);
    buf_clear(&third);
}
