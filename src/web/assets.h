/*
 * The web app's files, embedded in the binary at build time, so mitmweb
 * reads nothing from disk to serve its UI. scripts/web_embed.py turns a
 * directory (src/web/app/dist/ when the app was built, else
 * src/web/placeholder/) into build/gen/web_assets.c, which defines the
 * table and web_asset_find().
 */
#ifndef MP_WEB_ASSETS_H
#define MP_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *path;         /* "/index.html", "/assets/app.js": from the directory's root */
    const char *content_type; /* "text/html; charset=utf-8", ... */
    const unsigned char *data;
    size_t len;
};

/* The asset at path ("/" finds "/index.html"), or NULL. The query string
 * must be cut off by the caller. */
const struct web_asset *web_asset_find(const char *path);
/* Every asset, in path order: *n gets the count. */
const struct web_asset *web_assets(size_t *n);

#endif
