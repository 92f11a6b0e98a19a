/* The files the admin API serves as they are: the console
 * (src/admin/console/) and the API description (src/admin/openapi.json),
 * compiled in by src/admin/embed_assets.cmake, so a node needs no file
 * beside its binary and fetches nothing from anywhere. */
#ifndef HAMD_ADMIN_ASSETS_H
#define HAMD_ADMIN_ASSETS_H

#include <stddef.h>

/* One file. */
struct admin_asset {
    const char *name;            /* its file name, e.g. "app.js" */
    const unsigned char *data;   /* its bytes (a NUL follows them) */
    size_t len;                  /* their number */
    const char *etag;            /* "\"<SHA-256 prefix>\"", quotes included */
};

/* Every file, ended by a row with a NULL name (generated). */
extern const struct admin_asset ADMIN_ASSETS[];

/* The file called name, or NULL. */
const struct admin_asset *admin_asset_find(const char *name);

#endif /* HAMD_ADMIN_ASSETS_H */
