/*
 * The console's options (mitmproxy 8.1.1's tools/console/consoleaddons.py
 * ConsoleAddon.load), with its names, types, defaults, choices and help,
 * so `mitmproxy --options`, --set and config.yaml know them. They exist
 * only in this tool, as in mitmproxy.
 */
#include "console/console.h"
#include "console/internal.h"
#include "options/opt.h"

static const struct {
    const char *name;
    enum opt_type type;
    const char *def, *choices, *help;
} options[] = {
    {"console_default_contentview", OPT_STR, "auto",
     "auto|raw|hex|graphql|json|xml/html|wbxml|javascript|css|url-encoded|multipart "
     "form|image|query|protocol buffer|msgpack|grpc/protocol buffer",
     "The default content view mode."},
    {"console_eventlog_verbosity", OPT_STR, "info", "error|warn|info|alert|debug",
     "EventLog verbosity."},
    {"console_layout", OPT_STR, "single", "horizontal|single|vertical", "Console layout."},
    {"console_layout_headers", OPT_BOOL, "true", NULL, "Show layout component headers"},
    {"console_mouse", OPT_BOOL, "true", NULL, "Console mouse interaction."},
    {"console_palette", OPT_STR, "solarized_dark",
     "dark|light|lowdark|lowlight|solarized_dark|solarized_light", "Color palette."},
    {"console_palette_transparent", OPT_BOOL, "true", NULL,
     "Set transparent background for palette."},
    {"console_strip_trailing_newlines", OPT_BOOL, "false", NULL,
     "Strip trailing newlines from edited request/response bodies."},
    {"console_flowlist_layout", OPT_STR, "default", "default|list|table",
     "Set the flowlist layout"},
};

int
console_register_options(struct err *e)
{
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        int rc = opt_register(options[i].name, options[i].type, options[i].def, options[i].choices,
                              options[i].help, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}
