/* msgpack <-> JSON. See mpjson.h. */
#include "common/mpjson.h"

#include <string.h>

#include "common/mpread.h"

static json_t *value_to_json(struct hamd_mpr *r, unsigned depth);

static json_t *map_to_json(struct hamd_mpr *r, uint32_t n, unsigned depth)
{
    json_t *obj = json_object();
    for (uint32_t i = 0; obj && i < n; i++) {
        struct hamd_mpr_val key;
        /* A key with a NUL is refused: jansson's lookups, json_equal and
         * the encoder below read keys up to their first NUL, so "a\0b"
         * would come back as "a", beside or over another key
         * (fuzz_mpjson, regressions/mpjson). */
        if (!hamd_mpr_read(r, &key) || key.kind != HAMD_MPR_STR ||
            memchr(key.v.s.ptr, '\0', key.v.s.len)) {
            json_decref(obj);
            return NULL;
        }
        json_t *val = value_to_json(r, depth + 1);
        if (!val || json_object_setn_new(obj, key.v.s.ptr, key.v.s.len, val) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *array_to_json(struct hamd_mpr *r, uint32_t n, unsigned depth)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < n; i++) {
        json_t *val = value_to_json(r, depth + 1);
        if (!val || json_array_append_new(arr, val) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *value_to_json(struct hamd_mpr *r, unsigned depth)
{
    struct hamd_mpr_val v;
    if (depth > HAMD_MPJSON_DEPTH_MAX || !hamd_mpr_read(r, &v))
        return NULL;
    switch (v.kind) {
    case HAMD_MPR_NIL: return json_null();
    case HAMD_MPR_BOOL: return json_boolean(v.v.b);
    case HAMD_MPR_UINT: return json_integer((json_int_t)v.v.u);
    case HAMD_MPR_INT: return json_integer(v.v.i);
    case HAMD_MPR_FLOAT: return json_real(v.v.f);
    case HAMD_MPR_STR: return json_stringn(v.v.s.ptr, v.v.s.len); /* NULL if not UTF-8 */
    case HAMD_MPR_BIN:
    case HAMD_MPR_EXT: return json_null();
    case HAMD_MPR_ARRAY: return array_to_json(r, v.v.n, depth);
    case HAMD_MPR_MAP: return map_to_json(r, v.v.n, depth);
    }
    return NULL;
}

json_t *hamd_mpjson_decode(const void *buf, size_t len)
{
    struct hamd_mpr r;
    hamd_mpr_init(&r, buf, len);
    json_t *v = value_to_json(&r, 0);
    if (v && !hamd_mpr_done(&r)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

void hamd_mpjson_encode(msgpack_packer *pk, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(v));
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) {
            msgpack_pack_str_with_body(pk, key, strlen(key));
            hamd_mpjson_encode(pk, val);
        }
        break;
    }
    case JSON_ARRAY: {
        msgpack_pack_array(pk, json_array_size(v));
        size_t i;
        json_t *val;
        json_array_foreach(v, i, val) hamd_mpjson_encode(pk, val);
        break;
    }
    case JSON_STRING:
        msgpack_pack_str_with_body(pk, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(v)); break;
    case JSON_REAL: msgpack_pack_double(pk, json_real_value(v)); break;
    case JSON_TRUE: msgpack_pack_true(pk); break;
    case JSON_FALSE: msgpack_pack_false(pk); break;
    case JSON_NULL: msgpack_pack_nil(pk); break;
    }
}
