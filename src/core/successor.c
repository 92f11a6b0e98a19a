/* Choosing the successor of a leader. See successor.h. */
#include "core/successor.h"

/* True when a ranks before b. */
static bool better(const struct hamd_successor_candidate *a,
                   const struct hamd_successor_candidate *b)
{
    if (a->healthy != b->healthy)
        return a->healthy > b->healthy;
    if (a->applied_index != b->applied_index)
        return a->applied_index > b->applied_index;
    return a->id < b->id;
}

unsigned hamd_successor_pick(const struct hamd_successor_candidate *c, size_t n)
{
    const struct hamd_successor_candidate *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!c[i].reachable || c[i].witness || c[i].id == 0)
            continue;
        if (!best || better(&c[i], best))
            best = &c[i];
    }
    return best ? best->id : 0;
}
