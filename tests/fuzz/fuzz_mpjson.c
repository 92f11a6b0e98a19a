/* Fuzz target: msgpack to JSON (src/common/mpjson.h), which hactl tail
 * runs on every `_event` message it reads off a hub's PUB endpoint.
 *
 * Input: one message body. Checks: a body that converts is exactly one
 * document within the nesting bound; the JSON packs back to msgpack that
 * converts to an equal JSON value, the way the hub's events travel. */
#include <jansson.h>
#include <msgpack.h>

#include "common/mpjson.h"
#include "fuzz.h"

/* Nesting depth of a JSON value (a scalar is 0). */
static unsigned mpjson_depth(const json_t *v)
{
    unsigned deepest = 0, d;
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item)
            if ((d = mpjson_depth(item) + 1) > deepest)
                deepest = d;
        return deepest ? deepest : 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            if ((d = mpjson_depth(item) + 1) > deepest)
                deepest = d;
        return deepest ? deepest : 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = hamd_mpjson_decode(data, size);
    if (v == NULL)
        return 0;
    FUZZ_CHECK(mpjson_depth(v) <= HAMD_MPJSON_DEPTH_MAX + 1);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    hamd_mpjson_encode(&pk, v);
    json_t *again = hamd_mpjson_decode(sb.data, sb.size);
    FUZZ_CHECK(again != NULL && json_equal(v, again));
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    FUZZ_CHECK(text != NULL);
    free(text);
    json_decref(again);
    msgpack_sbuffer_destroy(&sb);
    json_decref(v);
    return 0;
}
