/*
 * repr.c: Python's repr() of metadata values, as 8.1.1's Detail tab shows
 * them (the expected text is what python3 prints for the same values).
 */
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "flow/tnetstring.h"

static void
check(struct tns *v, const char *want)
{
    struct buf out = BUF_INIT;
    console__repr(&out, v);
    buf_append(&out, "", 1);
    ASSERT_STREQ((const char *)buf_ptr(&out), want);
    buf_clear(&out);
    tns_free(v);
}

TEST(console_repr_as_python)
{
    check(tns_text("tagged by addon"), "'tagged by addon'");
    check(tns_text("it's"), "\"it's\"");
    check(tns_text("both ' and \""), "'both \\' and \"'");
    check(tns_text("tab\there\nline \\ caf\xc3\xa9"), "'tab\\there\\nline \\\\ caf\xc3\xa9'");
    check(tns_bytes("\x00\xff" "a'", 4), "b\"\\x00\\xffa'\"");
    check(tns_int(-3), "-3");
    check(tns_float(0.5), "0.5");
    check(tns_bool(1), "True");
    check(tns_null(), "None");
    struct tns *l = tns_list();
    tns_list_append(l, tns_int(1));
    tns_list_append(l, tns_text("x"));
    struct tns *d = tns_dict();
    tns_dict_set(d, "k", tns_bool(0));
    tns_dict_set(d, "n", tns_null());
    tns_list_append(l, d);
    check(l, "[1, 'x', {'k': False, 'n': None}]");
}
