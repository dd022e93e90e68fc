/* assets.h: the page's files (the html, css and js of src/web/), compiled into the
 * binary by scripts/embed-web.sh (build/gen/web_assets.c). */
#ifndef OPSTASKS_WEB_ASSETS_H
#define OPSTASKS_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *name;          /* file name, e.g. "queue.js" */
    const char *content_type;
    const char *etag;          /* quoted, from the file's SHA-256 */
    const unsigned char *data;
    size_t size;
};

extern const struct web_asset web_assets[];
extern const int web_assets_count;

#endif
