/*
 * HTTP dates. Every expectation is what Python 3.11's email.utils gives:
 * mktime_tz(parsedate_tz(text)) and formatdate(t, usegmt=True).
 */
#include <string.h>

#include "../lib/test.h"
#include "http/date.h"

static void
parses(const char *file, int line, const char *text, double want)
{
    double t = -1;
    struct err e = {0};
    if (http_date_parse(text, strlen(text), &t, &e) != 0)
        test_fail(file, line, "'%s': %s", text, e.msg);
    if (t != want)
        test_fail(file, line, "'%s': %.3f, want %.3f", text, t, want);
}
#define PARSES(text, want) parses(__FILE__, __LINE__, text, want)

static void
refused(const char *file, int line, const char *text)
{
    double t;
    struct err e = {0};
    if (http_date_parse(text, strlen(text), &t, &e) != MP_ERR_SYNTAX)
        test_fail(file, line, "'%s' read as %.0f", text, t);
    if (strstr(e.msg, "not a date") == NULL)
        test_fail(file, line, "'%s': message \"%s\"", text, e.msg);
}
#define REFUSED(text) refused(__FILE__, __LINE__, text)

TEST(http_date_the_three_http_forms)
{
    PARSES("Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
    PARSES("Sunday, 06-Nov-94 08:49:37 GMT", 784111777);
    PARSES("Sun Nov  6 08:49:37 1994", 784111777);
}

TEST(http_date_zones)
{
    PARSES("6 november 94 08.49.37 +0100", 784108177);
    PARSES("Sun,06 Nov 1994 08:49 EST", 784129740);
    PARSES("06 Nov 1994 08:49:37 pdt", 784136977);
    PARSES("06 Nov 1994 08:49:37 +01_00", 784108177);
    /* No zone, an unknown one and -0000 are all UTC (parsedate_tz's 0). */
    PARSES("06 Nov 1994 08:49:37", 784111777);
    PARSES("Nov 6 1994 08:49:37 -0000", 784111777);
    PARSES("06 Nov 1994 08:49:37 Mars", 784111777);
}

TEST(http_date_years_and_ranges)
{
    PARSES("06 Nov 69 08:49:37 GMT", -4806623);
    PARSES("06 Nov 68 08:49:37 GMT", 3119417377.0);
    PARSES("31 Dec 9999 23:59:59 GMT", 253402300799.0);
    /* Out-of-range days and times carry over, as calendar.timegm adds them. */
    PARSES("40 Nov 1994 25:61:61 GMT", 787111321);
    PARSES("21 Oct 0 07:28 GMT", 972113280); /* two digits: 2000 */
    /* Python's calendar raises for these; here they are not dates. */
    REFUSED("21 Oct 10000 07:28 GMT");
    REFUSED("21 Oct -5000 07:28 GMT");
    REFUSED("21 Oct 2015 99999999999:28 GMT");
}

TEST(http_date_not_dates)
{
    REFUSED("");
    REFUSED(" ");
    REFUSED("garbage");
    REFUSED("06 Nov 1994");
    REFUSED("06 Foo 1994 08:49:37");
    REFUSED("06 Nov 1994 08");
    REFUSED("06 Nov 1994 08:49:37:00");
    REFUSED("Nov 06 x 08:49 GMT");
    REFUSED("06 Nov 1994 0x8:49");
    REFUSED("- Nov-94 08:49:37 GMT");
}

static void
formats(const char *file, int line, double t, const char *want)
{
    struct buf b = BUF_INIT;
    if (http_date_format(t, &b) != 0)
        test_fail(file, line, "%.3f refused", t);
    if (!test_memeq(buf_ptr(&b), b.len, want, strlen(want)))
        test_fail_mem(file, line, "http_date_format", buf_ptr(&b), b.len, want, strlen(want));
    buf_clear(&b);
}
#define FORMATS(t, want) formats(__FILE__, __LINE__, t, want)

TEST(http_date_format_as_formatdate)
{
    FORMATS(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    FORMATS(1e-7, "Thu, 01 Jan 1970 00:00:00 GMT");
    FORMATS(-0.5, "Wed, 31 Dec 1969 23:59:59 GMT");
    /* The fraction rounds to microseconds first, as datetime does. */
    FORMATS(784111777.4999995, "Sun, 06 Nov 1994 08:49:37 GMT");
    FORMATS(784111777.9999996, "Sun, 06 Nov 1994 08:49:38 GMT");
    FORMATS(-62135596800.0, "Mon, 01 Jan 0001 00:00:00 GMT");
    FORMATS(253402300799.0, "Fri, 31 Dec 9999 23:59:59 GMT");
    struct buf b = BUF_INIT;
    ASSERT_EQ(http_date_format(253402300800.0, &b), MP_ERR_LIMIT);
    ASSERT_EQ(http_date_format(-62135596801.0, &b), MP_ERR_LIMIT);
    ASSERT_EQ(http_date_format(1.0 / 0.0, &b), MP_ERR_LIMIT);
    ASSERT_EQ(b.len, 0);
    buf_clear(&b);
}
