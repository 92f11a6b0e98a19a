/* msgpack -> JSON. See mpjson.h. */
#include "common/mpjson.h"

#include "common/mpread.h"

static json_t *value_to_json(struct hamd_mpr *r, unsigned depth);

static json_t *map_to_json(struct hamd_mpr *r, uint32_t n, unsigned depth)
{
    json_t *obj = json_object();
    for (uint32_t i = 0; obj && i < n; i++) {
        struct hamd_mp_val key;
        if (!hamd_mpr_read(r, &key) || key.kind != HAMD_MP_STR) {
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
    struct hamd_mp_val v;
    if (depth > HAMD_MPJSON_DEPTH_MAX || !hamd_mpr_read(r, &v))
        return NULL;
    switch (v.kind) {
    case HAMD_MP_NIL: return json_null();
    case HAMD_MP_BOOL: return json_boolean(v.v.b);
    case HAMD_MP_UINT: return json_integer((json_int_t)v.v.u);
    case HAMD_MP_INT: return json_integer(v.v.i);
    case HAMD_MP_FLOAT: return json_real(v.v.f);
    case HAMD_MP_STR: return json_stringn(v.v.s.ptr, v.v.s.len); /* NULL if not UTF-8 */
    case HAMD_MP_BIN:
    case HAMD_MP_EXT: return json_null();
    case HAMD_MP_ARRAY: return array_to_json(r, v.v.n, depth);
    case HAMD_MP_MAP: return map_to_json(r, v.v.n, depth);
    }
    return NULL;
}

json_t *hamd_mp_to_json(const void *buf, size_t len)
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
