/*
 * The command line of mitmdump (and later mitmproxy and mitmweb): flags
 * mapped onto the option registry, as mitmproxy's argparse set-up does,
 * plus the older flags of the seeds' documentation (-R, -U, -T, -c,
 * --replace, --setheader, --ignore, --no-upstream-cert, --cadir, ...).
 *
 * Every registered option works as --name-with-dashes VALUE (booleans as
 * --name and --no-name), and as --set name=value.
 */
#ifndef MP_OPTIONS_CMDLINE_H
#define MP_OPTIONS_CMDLINE_H

#include <stdio.h>

#include "options/opt.h"
#include "util/err.h"

struct cmdline {
    int help;
    int version;
    int sysinfo; /* --sysinfo: the tool prints master_sysinfo() */
    int show_options;
    int show_commands;
    struct strv filters; /* positional filter expressions */
};

/*
 * Parses argv[1..argc) into opts and cl. Errors name the bad argument
 * ("unrecognized argument '--foo'", "--listen-port: invalid integer 'x'").
 * cl must be zeroed by the caller and cleared with cmdline_clear().
 */
int cmdline_parse(struct options *opts, int argc, char **argv, struct cmdline *cl,
                  struct err *e);
void cmdline_clear(struct cmdline *);
/*
 * What the tools do: the options of confdir/config.yaml (and config.yml),
 * the conf dir taken from the command line when it sets one, then the
 * command line, which wins over the file.
 */
int cmdline_parse_config(struct options *opts, int argc, char **argv, struct cmdline *cl,
                         struct err *e);
/* The error for settings of options nobody registered (opts->deferred):
 * "Unknown option(s): a, b", as mitmproxy says it. */
int cmdline_unknown_options(const struct options *opts, struct err *e);
/* The --help text. */
void cmdline_usage(FILE *, const char *prog);

#endif
