/* Fixed-buffer msgpack packer: see mpwrite.h. */
#include "common/mpwrite.h"

#include <string.h>

/* msgpack_packer_write callback: append or report overflow. */
static int mpw_write(void *data, const char *bytes, size_t len)
{
    return hamd_mpw_raw((struct hamd_mpw *)data, bytes, len);
}

void hamd_mpw_init(struct hamd_mpw *w, void *buf, size_t cap)
{
    w->buf = (uint8_t *)buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = false;
    msgpack_packer_init(&w->pk, w, mpw_write);
}

int hamd_mpw_raw(struct hamd_mpw *w, const void *bytes, size_t len)
{
    if (w->overflow || len > w->cap - w->len) {
        w->overflow = true;
        return -1;
    }
    if (len > 0)
        memcpy(w->buf + w->len, bytes, len);
    w->len += len;
    return 0;
}

int hamd_mpw_str(struct hamd_mpw *w, const char *s)
{
    size_t n = strlen(s);
    if (msgpack_pack_str(&w->pk, n) != 0)
        return -1;
    return msgpack_pack_str_body(&w->pk, s, n);
}

size_t hamd_mpw_finish(const struct hamd_mpw *w)
{
    return w->overflow ? 0 : w->len;
}
