/*
 * Playbooks: feed events into a layer and assert, in order, the exact
 * commands it emits (mitmproxy's tutils.Playbook). A playbook is a function
 * of a struct pb; pb_run() runs it three ways: with data events whole,
 * with every data event cut into 1-byte pieces, and cut in two at each
 * position up to 64. Consecutive sends to one connection are merged before
 * comparison, so all three runs must give the same transcript.
 *
 * On a mismatch the transcript so far is printed: ">>" events in, "<<"
 * commands out, then what was expected.
 */
#ifndef MP_TESTS_PB_H
#define MP_TESTS_PB_H

#include "flow/connection.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "proxy/layer.h"

enum pb_flags {
    PB_NOHOOKS = 0, /* hooks are answered at once and not asserted */
    PB_HOOKS = 1,   /* every hook must be asserted and answered */
    PB_LOGS = 2,    /* log commands must be asserted too */
    /* The playbook keeps no references to flows, as mitmdump's addons keep
     * none: after its hooks the layer holds a flow's last reference. A flow
     * from pb_out_hook is then valid only until the layer is through with it. */
    PB_UNHELD = 4,
    PB_CA = 8,      /* load the CA of the options' confdir (TLS interception) */
};

struct pb;
struct addon_chain;

typedef struct layer *(*pb_make_cb)(struct context *);
typedef void (*pb_body_cb)(struct pb *);
typedef void (*pb_config_cb)(struct options *);
/* A new chain for one run (the playbook configures it with its options and frees it). */
typedef struct addon_chain *(*pb_chain_cb)(void);

/* Runs body three ways (whole, 1-byte pieces, 2-way splits). */
void pb_run(pb_body_cb body, pb_make_cb make, int flags, pb_config_cb config);
/* Runs body with data events whole only, for layers whose commands depend
 * on how bytes are chunked (raw TCP records each chunk as a message). */
void pb_run_once(pb_body_cb body, pb_make_cb make, int flags, pb_config_cb config);
/*
 * pb_run, with every hook going through the addons of chain() as the layer
 * emits it, before it is asserted or answered: what the addons decide
 * (tlsconfig's sessions, proxyauth's verdict) is what the layer gets. The
 * addons must answer at once (no ADDON_DEFER).
 */
void pb_run_chain(pb_body_cb body, pb_make_cb make, int flags, pb_config_cb config,
                  pb_chain_cb chain);

struct connection *pb_client(struct pb *);
/* The name of the layer fed now: the one made, or what it collapsed into
 * (layer_collapse() runs after every event, as in the driver). */
const char *pb_layer_name(struct pb *);

void pb_in_start(struct pb *);
void pb_in_data(struct pb *, struct connection *, const char *s);
void pb_in_datan(struct pb *, struct connection *, const void *p, size_t n);
/* A datagram (UDP): fed whole in every run, as a datagram arrives whole. */
void pb_in_datagram(struct pb *, struct connection *, const void *p, size_t n);
/* The timer of the CMD_WAKEUP cmd_id fired. */
void pb_in_wakeup(struct pb *, uint64_t cmd_id);
/* An addon injects n bytes into flow f as a message from the client
 * (from_client) or the server, of WebSocket opcode ws_type (0: TCP).
 * Never split: a message is injected whole. */
void pb_in_inject(struct pb *, struct flow *f, int from_client, int ws_type, const char *p,
                  size_t n);
/* The peer closed its side (EOF): CONN_CAN_READ goes, as the driver does. */
void pb_in_closed(struct pb *, struct connection *);
/* Answers the last asserted blocking command: success (opens are CONN_OPEN now). */
void pb_in_reply(struct pb *);
void pb_in_reply_err(struct pb *, const char *err);

#define pb_out_hook(pb, hook, flowp) pb__out_hook(pb, hook, flowp, __FILE__, __LINE__)
#define pb_out_hook_data(pb, hook, datap) pb__out_hook_data(pb, hook, datap, __FILE__, __LINE__)
#define pb_out_send_take(pb, conn, bufp) pb__out_send_take(pb, conn, bufp, __FILE__, __LINE__)
#define pb_out_open(pb, connp) pb__out_open(pb, connp, __FILE__, __LINE__)
#define pb_out_send(pb, conn, s) pb__out_send(pb, conn, s, 0, __FILE__, __LINE__)
#define pb_out_send_prefix(pb, conn, s) pb__out_send(pb, conn, s, 1, __FILE__, __LINE__)
/* Like pb_out_send, and the bytes came in exactly n send commands. */
#define pb_out_send_n(pb, conn, s, n) pb__out_send_n(pb, conn, s, n, __FILE__, __LINE__)
#define pb_out_close(pb, conn, half) pb__out_close(pb, conn, half, __FILE__, __LINE__)
#define pb_out_log(pb, substr) pb__out_log(pb, substr, __FILE__, __LINE__)
/* A CMD_WAKEUP of delay_ms; *idp (if not NULL) receives its id for pb_in_wakeup. */
#define pb_out_wakeup(pb, delay_ms, idp) pb__out_wakeup(pb, delay_ms, idp, __FILE__, __LINE__)
#define pb_end(pb) pb__end(pb, __FILE__, __LINE__)

/* *flowp (if not NULL) receives the hook's flow, borrowed while the pb lives. */
void pb__out_hook(struct pb *, enum hook, struct flow **flowp, const char *file, int line);
/* *datap receives the hook's data, which a test may change before the
 * reply (next_layer's choice, say); valid until the reply. */
void pb__out_hook_data(struct pb *, enum hook, struct hook_data **datap, const char *file,
                       int line);
/* The merged sends to conn, whatever they are (TLS records), appended to out. */
void pb__out_send_take(struct pb *, struct connection *, struct buf *out, const char *file,
                       int line);
void pb__out_open(struct pb *, struct connection **connp, const char *file, int line);
/* prefix: the merged sends must start with s (the rest is consumed). */
void pb__out_send(struct pb *, struct connection *, const char *s, int prefix, const char *file,
                  int line);
void pb__out_send_n(struct pb *, struct connection *, const char *s, size_t n, const char *file,
                    int line);
void pb__out_close(struct pb *, struct connection *, int half, const char *file, int line);
void pb__out_log(struct pb *, const char *substr, const char *file, int line);
void pb__out_wakeup(struct pb *, uint64_t delay_ms, uint64_t *idp, const char *file, int line);
/* Fails if commands are left unasserted. */
void pb__end(struct pb *, const char *file, int line);

#endif
