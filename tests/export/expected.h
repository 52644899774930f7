/*
 * What mitmproxy 8.1.1 made of the fixture flows (tests/export/expected/,
 * written by gen_expected.py): records of "flow <index> <id>[ <spec>]"
 * followed by "ok <length>" and the bytes, or "error <message>".
 */
#ifndef MP_TESTS_EXPORT_EXPECTED_H
#define MP_TESTS_EXPORT_EXPECTED_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

struct flow;

struct expected_rec {
    size_t index;
    char *id;
    char *spec;  /* after the id; NULL if none */
    int ok;      /* 1: bytes; 0: error */
    char *bytes; /* ok: the bytes (len); else the message */
    size_t len;
};

struct expected {
    struct expected_rec *v;
    size_t n;
};

/* Loads tests/export/expected/<name>; fails the test if it cannot. */
struct expected *expected_load(const char *name);
void expected_free(struct expected *);
/*
 * Compares what we made (rc, out, e) with rec, printing both when they
 * differ; returns 1 for a mismatch, 0 for a match. An expected error
 * matches a failure with the same message.
 */
int expected_check(const struct expected_rec *rec, const char *id, int rc, const struct buf *out,
                   const struct err *e);

/* The flows of ../shared/fixtures/flows/all.mitm, one reference each. */
struct fixture_flows {
    struct flow **v;
    size_t n;
};
struct fixture_flows fixture_flows_load(void);
void fixture_flows_free(struct fixture_flows *);

#endif
