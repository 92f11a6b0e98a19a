/* msgpack -> JSON, for showing hub messages (events) to people. Bounded:
 * it reads through mpread.h, so hostile counts or truncation fail cleanly
 * instead of allocating. */
#ifndef HAMD_MPJSON_H
#define HAMD_MPJSON_H

#include <jansson.h>
#include <stddef.h>

#define HAMD_MPJSON_DEPTH_MAX 16 /* nesting accepted */

/* Converts one msgpack document (the whole buffer) to a new JSON value.
 * Map keys must be strings; bin and ext values become null. Returns NULL
 * when the buffer is not exactly one well-formed document. */
json_t *hamd_mp_to_json(const void *buf, size_t len);

#endif /* HAMD_MPJSON_H */
