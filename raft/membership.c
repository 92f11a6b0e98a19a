/* Pure membership decisions: see membership.h. */
#include "raft/membership.h"

enum hamd_member_role hamd_member_role_of(const struct hamd_member *conf,
                                          unsigned n, uint64_t id)
{
    for (unsigned i = 0; i < n; i++)
        if (conf[i].id == id)
            return conf[i].role;
    return HAMD_MEMBER_NONE;
}

unsigned hamd_member_voters(const struct hamd_member *conf, unsigned n)
{
    unsigned voters = 0;
    for (unsigned i = 0; i < n; i++)
        voters += conf[i].role == HAMD_MEMBER_VOTER;
    return voters;
}

/* What the id itself allows, before anything in flight is considered. */
static enum hamd_member_verdict
member_check_id(enum hamd_member_role role,
                const struct hamd_member_request *rq)
{
    if (rq->op == HAMD_MEMBER_OP_ADD) {
        if (rq->id == 0 || !rq->peer_known)
            return HAMD_MEMBER_UNKNOWN_PEER;
        return role == HAMD_MEMBER_VOTER ? HAMD_MEMBER_ALREADY_VOTER
                                         : HAMD_MEMBER_OK;
    }
    if (role == HAMD_MEMBER_NONE)
        return HAMD_MEMBER_NOT_MEMBER;
    /* The leader leaves only after handing leadership over; this also
     * keeps the last voter, which is always the leader. */
    return rq->id == rq->self_id ? HAMD_MEMBER_IS_LEADER : HAMD_MEMBER_OK;
}

enum hamd_member_verdict
hamd_member_check(const struct hamd_member *conf, unsigned n,
                  const struct hamd_member_request *rq)
{
    if (!rq->is_leader)
        return HAMD_MEMBER_NOT_LEADER;
    enum hamd_member_verdict v =
        member_check_id(hamd_member_role_of(conf, n, rq->id), rq);
    if (v != HAMD_MEMBER_OK)
        return v;
    return rq->in_flight ? HAMD_MEMBER_BUSY : HAMD_MEMBER_OK;
}

enum hamd_member_step hamd_member_next_step(const struct hamd_member *conf,
                                            unsigned n, enum hamd_member_op op,
                                            uint64_t id)
{
    enum hamd_member_role role = hamd_member_role_of(conf, n, id);
    if (op == HAMD_MEMBER_OP_ADD) {
        switch (role) {
        case HAMD_MEMBER_NONE: return HAMD_MEMBER_STEP_ADD_SPARE;
        case HAMD_MEMBER_VOTER: return HAMD_MEMBER_STEP_DONE;
        default: return HAMD_MEMBER_STEP_PROMOTE;
        }
    }
    switch (role) {
    case HAMD_MEMBER_NONE: return HAMD_MEMBER_STEP_DONE;
    case HAMD_MEMBER_VOTER: return HAMD_MEMBER_STEP_DEMOTE;
    default: return HAMD_MEMBER_STEP_REMOVE;
    }
}

unsigned hamd_member_voters_after(const struct hamd_member *conf, unsigned n,
                                  enum hamd_member_op op, uint64_t id)
{
    unsigned voters = hamd_member_voters(conf, n);
    bool votes = hamd_member_role_of(conf, n, id) == HAMD_MEMBER_VOTER;
    if (op == HAMD_MEMBER_OP_ADD)
        return votes ? voters : voters + 1;
    return votes ? voters - 1 : voters;
}

const char *hamd_member_role_name(enum hamd_member_role role)
{
    switch (role) {
    case HAMD_MEMBER_VOTER: return "voter";
    case HAMD_MEMBER_STANDBY: return "standby";
    case HAMD_MEMBER_SPARE: return "spare";
    default: return "none";
    }
}

const char *hamd_member_verdict_name(enum hamd_member_verdict v)
{
    switch (v) {
    case HAMD_MEMBER_OK: return "ok";
    case HAMD_MEMBER_STANDALONE: return "standalone node: no Raft membership";
    case HAMD_MEMBER_NOT_LEADER: return "not the leader";
    case HAMD_MEMBER_UNKNOWN_PEER: return "no [peer.N] section for this id";
    case HAMD_MEMBER_NOT_MEMBER: return "not in the cluster configuration";
    case HAMD_MEMBER_ALREADY_VOTER: return "already a voter";
    case HAMD_MEMBER_IS_LEADER: return "it leads: transfer leadership first";
    case HAMD_MEMBER_BUSY:
        return "another membership change or a leadership transfer is running";
    default: return "libraft refused the change";
    }
}
