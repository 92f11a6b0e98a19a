/* The zeroing heap handed to libraft (heap.h). Only malloc and
 * aligned_alloc change: calloc zeroes already, and realloc only grows
 * libraft's own arrays, never a payload it writes out unwritten. The
 * cost is a memset per allocation, off the tick path: libraft allocates
 * per Raft entry and I/O request, tens a second. */
#include <raft.h>
#include <stdlib.h>
#include <string.h>

#include "raft/heap.h"

static void *heap_malloc(void *data, size_t size)
{
    (void)data;
    return calloc(1, size);
}

static void heap_free(void *data, void *ptr)
{
    (void)data;
    free(ptr);
}

static void *heap_calloc(void *data, size_t nmemb, size_t size)
{
    (void)data;
    return calloc(nmemb, size);
}

static void *heap_realloc(void *data, void *ptr, size_t size)
{
    (void)data;
    return realloc(ptr, size);
}

static void *heap_aligned_alloc(void *data, size_t alignment, size_t size)
{
    (void)data;
    void *p = aligned_alloc(alignment, size);
    if (p)
        memset(p, 0, size);
    return p;
}

static void heap_aligned_free(void *data, size_t alignment, void *ptr)
{
    (void)data;
    (void)alignment;
    free(ptr);
}

void hamd_raft_heap_install(void)
{
    static struct raft_heap heap = {
        .malloc = heap_malloc,
        .free = heap_free,
        .calloc = heap_calloc,
        .realloc = heap_realloc,
        .aligned_alloc = heap_aligned_alloc,
        .aligned_free = heap_aligned_free,
    };
    raft_heap_set(&heap);
}
