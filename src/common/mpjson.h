/* msgpack <-> JSON: events are JSON in the log, the store and the API,
 * and msgpack on the `_event` topic; hactl shows hub messages as JSON.
 * Decoding is bounded: it reads through mpread.h, so hostile counts or
 * truncation fail cleanly instead of allocating. */
#ifndef HAMD_MPJSON_H
#define HAMD_MPJSON_H

#include <jansson.h>
#include <msgpack.h>
#include <stddef.h>

#define HAMD_MPJSON_DEPTH_MAX 16 /* nesting accepted */

/* Converts one msgpack document (the whole buffer) to a new JSON value.
 * Map keys must be strings; bin and ext values become null. Returns NULL
 * when the buffer is not exactly one well-formed document. */
json_t *hamd_mpjson_decode(const void *buf, size_t len);

/* Packs a JSON value as msgpack (objects -> maps, numbers kept). */
void hamd_mpjson_encode(msgpack_packer *pk, const json_t *v);

#endif /* HAMD_MPJSON_H */
