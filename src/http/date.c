/*
 * HTTP dates. See date.h. parse() walks the steps of CPython's
 * email._parseaddr._parsedate_tz in order, on slices of the input, so the
 * same text gives the same answer.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/date.h"

struct tok {
    const char *p;
    size_t n;
};

static int
py_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int
tok_is(struct tok t, const char *s)
{
    return t.n == strlen(s) && strncasecmp(t.p, s, t.n) == 0;
}

static int
last_is(struct tok t, char c)
{
    return t.n > 0 && t.p[t.n - 1] == c;
}

/* The index of the first c in t, or -1. */
static long
find(struct tok t, char c)
{
    const char *q = memchr(t.p, c, t.n);
    return q ? (long)(q - t.p) : -1;
}

/* Python's int() on a token: a sign, digits, single underscores between
 * digits. Values past a billion are refused: no date part needs them. */
static int
py_int(struct tok t, long *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < t.n && (t.p[i] == '+' || t.p[i] == '-'))
        neg = t.p[i++] == '-';
    if (i == t.n)
        return -1;
    long v = 0;
    for (int prev_digit = 0; i < t.n; i++) {
        char c = t.p[i];
        if (c == '_' && prev_digit && i + 1 < t.n) {
            prev_digit = 0;
            continue;
        }
        if (c < '0' || c > '9' || v > 1000000000)
            return -1;
        v = v * 10 + (c - '0');
        prev_digit = 1;
    }
    *out = neg ? -v : v;
    return 0;
}

/* 1-12, or 0 (Python's _monthnames, short and long). */
static int
month_of(struct tok t)
{
    static const char *const names[] = {
        "jan", "feb",  "mar",  "apr",    "may",       "jun",      "jul",      "aug",
        "sep", "oct",  "nov",  "dec",    "january",   "february", "march",    "april",
        "may", "june", "july", "august", "september", "october",  "november", "december",
    };
    for (int i = 0; i < 24; i++)
        if (tok_is(t, names[i]))
            return i % 12 + 1;
    return 0;
}

static int
is_dayname(struct tok t)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int i = 0; i < 7; i++)
        if (tok_is(t, names[i]))
            return 1;
    return 0;
}

/* Python's _timezones: 1 with *hhmm set for a name it knows. */
static int
zone_of(struct tok t, long *hhmm)
{
    static const struct {
        const char *name;
        long hhmm;
    } zones[] = {{"UT", 0},     {"UTC", 0},    {"GMT", 0},    {"Z", 0},      {"AST", -400},
                 {"ADT", -300}, {"EST", -500}, {"EDT", -400}, {"CST", -600}, {"CDT", -500},
                 {"MST", -700}, {"MDT", -600}, {"PST", -800}, {"PDT", -700}};
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        if (tok_is(t, zones[i].name)) {
            *hhmm = zones[i].hhmm;
            return 1;
        }
    }
    return 0;
}

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The fields of a date, as _parsedate_tz returns them. */
struct parts {
    long y, mon, d, h, mi, s;
    long zone_secs; /* east of UTC */
};

static int
parse(const char *p, size_t n, struct parts *out)
{
    /* data = data.split(): only the first six words can matter. */
    struct tok data[8];
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && py_space((unsigned char)p[i]))
            i++;
        if (i == n)
            break;
        size_t j = i;
        while (j < n && !py_space((unsigned char)p[j]))
            j++;
        if (count < 6)
            data[count] = (struct tok){p + i, j - i};
        count++;
        i = j;
    }
    if (count == 0)
        return -1;
    if (last_is(data[0], ',') || is_dayname(data[0])) {
        memmove(data, data + 1, 5 * sizeof(*data));
        count--;
    } else {
        const char *comma = NULL;
        for (size_t k = 0; k < data[0].n; k++)
            if (data[0].p[k] == ',')
                comma = data[0].p + k;
        if (comma) {
            data[0].n -= (size_t)(comma + 1 - data[0].p);
            data[0].p = comma + 1;
        }
    }
    if (count == 3) {
        /* RFC 850: 06-Nov-94. */
        long d1 = find(data[0], '-');
        struct tok rest = {data[0].p + d1 + 1, d1 < 0 ? 0 : data[0].n - (size_t)d1 - 1};
        long d2 = d1 < 0 ? -1 : find(rest, '-');
        struct tok last = {rest.p + d2 + 1, d2 < 0 ? 0 : rest.n - (size_t)d2 - 1};
        if (d2 >= 0 && find(last, '-') < 0) {
            data[4] = data[2];
            data[3] = data[1];
            data[2] = last;
            data[1] = (struct tok){rest.p, (size_t)d2};
            data[0].n = (size_t)d1;
            count = 5;
        }
    }
    if (count == 4) {
        struct tok s = data[3];
        long i = find(s, '+');
        if (i < 0)
            i = find(s, '-');
        if (i > 0) {
            data[3].n = (size_t)i;
            data[4] = (struct tok){s.p + i, s.n - (size_t)i};
        } else {
            data[4] = (struct tok){"", 0};
        }
        count = 5;
    }
    if (count < 5)
        return -1;
    struct tok dd = data[0], mm = data[1], yy = data[2], tm = data[3], tz = data[4];
    if (dd.n == 0 || mm.n == 0 || yy.n == 0)
        return -1;
    int mon = month_of(mm);
    if (mon == 0) {
        struct tok x = dd;
        dd = mm;
        mm = x;
        if ((mon = month_of(mm)) == 0)
            return -1;
    }
    if (last_is(dd, ','))
        dd.n--;
    if (find(yy, ':') > 0) {
        struct tok x = yy;
        yy = tm;
        tm = x;
    }
    if (last_is(yy, ',')) {
        if (--yy.n == 0)
            return -1;
    }
    if (yy.n == 0 || yy.p[0] < '0' || yy.p[0] > '9') {
        struct tok x = yy;
        yy = tz;
        tz = x;
    }
    if (last_is(tm, ','))
        tm.n--;
    /* hh:mm[:ss], or hh.mm[.ss] from mail programs that know no better. */
    char sep = find(tm, ':') >= 0 ? ':' : '.';
    struct tok f[3];
    size_t nf = 0;
    for (size_t i = 0, start = 0; i <= tm.n; i++) {
        if (i < tm.n && tm.p[i] != sep)
            continue;
        if (nf == 3)
            return -1;
        f[nf++] = (struct tok){tm.p + start, i - start};
        start = i + 1;
    }
    if (nf < 2)
        return -1;
    out->s = 0;
    if (py_int(yy, &out->y) || py_int(dd, &out->d) || py_int(f[0], &out->h) ||
        py_int(f[1], &out->mi) || (nf == 3 && py_int(f[2], &out->s)))
        return -1;
    if (out->y < 100)
        out->y += out->y > 68 ? 1900 : 2000;
    out->mon = mon;
    /* A zone it does not know is UTC: parsedate_tz() makes _parsedate_tz()'s
     * None an offset of 0. */
    long hhmm = 0;
    if (!zone_of(tz, &hhmm) && py_int(tz, &hhmm) < 0)
        hhmm = 0;
    long sign = hhmm < 0 ? -1 : 1;
    hhmm *= sign;
    out->zone_secs = sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60);
    return 0;
}

int
http_date_parse(const char *p, size_t n, double *out, struct err *e)
{
    struct parts d;
    if (parse(p, n, &d) < 0 || d.y < 1 || d.y > 9999)
        return err_set(e, MP_ERR_SYNTAX, "not a date: '%.*s'", (int)(n > 64 ? 64 : n), p);
    /* calendar.timegm() less the zone's offset. */
    int64_t days = days_from_civil(d.y, d.mon, 1) + d.d - 1;
    *out = (double)(days * 86400 + (int64_t)d.h * 3600 + (int64_t)d.mi * 60 + d.s - d.zone_secs);
    return 0;
}

int
http_date_format(double t, struct buf *out)
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* 0001-01-01 to 9999-12-31 23:59:59, what Python's datetime holds. */
    if (!(t >= -62135596800.0 && t < 253402300800.0))
        return MP_ERR_LIMIT;
    /* datetime.fromtimestamp(): the fraction rounds half-even to
     * microseconds, and the second is what is left of that. */
    double whole = trunc(t);
    double us = nearbyint((t - whole) * 1e6);
    time_t secs = (time_t)whole;
    if (us >= 1e6)
        secs++;
    else if (us < 0)
        secs--;
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL || tm.tm_year + 1900 > 9999)
        return MP_ERR_LIMIT;
    buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
               mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return 0;
}
