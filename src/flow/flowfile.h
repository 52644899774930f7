/*
 * mitmproxy flow files: back-to-back tnetstrings, one dict per flow (see
 * ../shared/fixtures/README.md). We write format version 17 (what
 * mitmproxy 8.1.1 writes and every later version upgrades on load) and read
 * 17 through 21, and older versions where the upgrade is mechanical.
 */
#ifndef MP_FLOW_FLOWFILE_H
#define MP_FLOW_FLOWFILE_H

#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "util/buf.h"
#include "util/err.h"

#define FFILE_WRITE_VERSION 17

struct ffile_reader;

/*
 * Reads flows from f (borrowed; the caller closes it). name is used in
 * error messages. Returns NULL only if allocation is impossible.
 */
struct ffile_reader *ffile_reader_new(FILE *f, const char *name);
/*
 * Opens the flow file at path as mitmproxy's readers do: "-" is standard
 * input, a leading "~" is the home directory. Returns NULL with e reading
 * "cannot read flows from 'PATH': REASON" when the file cannot be opened.
 * ffile_reader_free() closes what this opened.
 */
struct ffile_reader *ffile_reader_open(const char *path, struct err *e);
/*
 * Reads the next flow: returns 1 and a new flow (one reference) in *out, 0
 * at a clean end of file, or a negative MP_ERR_* with e->msg naming the
 * problem and the byte offset of the damaged record. After an error the
 * reader returns the same error again.
 */
int ffile_read(struct ffile_reader *, struct flow **out, struct err *e);
/* Byte offset of the next record. */
uint64_t ffile_reader_offset(const struct ffile_reader *);
void ffile_reader_free(struct ffile_reader *);

/* Appends flow f as one version-17 record to out. */
void ffile_serialize(struct buf *out, const struct flow *f);
/* Decodes one record from p[0..len) (consumed bytes in *used). */
int ffile_deserialize(const uint8_t *p, size_t len, size_t *used, struct flow **out,
                      struct err *e);
/* A DNS flow's request and response from its record's dict d (version 17
 * keys "request" and "response") into f->dns_request/dns_response, for
 * readers that need the messages without the rest of the flow. */
int ffile_load_dns(const struct tns *d, struct flow *f, struct err *e);

#endif
