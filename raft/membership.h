/* Membership changes, decided one step at a time. PURE: the current Raft
 * configuration and the request come in, a verdict or the next step comes
 * out; nothing here talks to libraft, reads a clock or does I/O. The glue
 * that carries the steps out is raft/cluster_member.c.
 *
 * Raft changes its configuration safely when each change adds or removes
 * a single voter and the next change waits for the previous one to commit
 * (Ongaro 2014, §4.1): any majority of the old configuration then overlaps
 * any majority of the new one. So an operation is a short chain of such
 * single-server steps, each committed before the next is chosen from the
 * configuration as it is then:
 *
 *   add:     absent  --ADD_SPARE-->  spare  --PROMOTE-->  voter
 *            (libraft adds servers as spares; promoting one to voter
 *            first catches its log up, then commits the new role)
 *   remove:  voter   --DEMOTE-->  standby  --REMOVE-->  absent
 *            (demoting first hands the leaving node a configuration in
 *            which it is no voter, so it never campaigns again: libraft
 *            stops replicating to a removed server at once, so it would
 *            never see the entry that removes it)
 *
 * A standby or spare being added is promoted; one being removed is just
 * removed. Choosing each step from the current configuration makes an
 * interrupted operation resumable: running it again continues where it
 * stopped.
 */
#ifndef HAMD_RAFT_MEMBERSHIP_H
#define HAMD_RAFT_MEMBERSHIP_H

#include <stdbool.h>
#include <stdint.h>

#define HAMD_MEMBER_ADDR_MAX 64   /* bytes of a raft address "a.b.c.d:port" */
#define HAMD_MEMBER_STEPS_MAX 2   /* single-server steps of one operation */

/* A server's role in the Raft configuration. */
enum hamd_member_role {
    HAMD_MEMBER_NONE = 0,  /* not in the configuration */
    HAMD_MEMBER_VOTER,     /* replicated, counts for quorum, may lead */
    HAMD_MEMBER_STANDBY,   /* replicated, no vote */
    HAMD_MEMBER_SPARE,     /* neither replicated nor voting */
};

/* One server of the configuration. */
struct hamd_member {
    uint64_t id;                          /* server id ([peer.N] N) */
    enum hamd_member_role role;           /* its role */
    char address[HAMD_MEMBER_ADDR_MAX];   /* its raft address */
};

/* What an operator asks for. */
enum hamd_member_op {
    HAMD_MEMBER_OP_ADD = 0,  /* make id a voter */
    HAMD_MEMBER_OP_REMOVE,   /* take id out of the configuration */
};

/* A request as the leader sees it. */
struct hamd_member_request {
    enum hamd_member_op op;  /* add or remove */
    uint64_t id;             /* the server to change */
    uint64_t self_id;        /* the node deciding */
    bool is_leader;          /* the deciding node leads */
    bool peer_known;         /* id has a [peer.N] section on this node */
    bool in_flight;          /* a membership change or transfer is running */
};

/* Verdict on a request. */
enum hamd_member_verdict {
    HAMD_MEMBER_OK = 0,          /* go: hamd_member_next_step says how */
    HAMD_MEMBER_STANDALONE,      /* no Raft at all */
    HAMD_MEMBER_NOT_LEADER,      /* ask the leader */
    HAMD_MEMBER_UNKNOWN_PEER,    /* add: no [peer.N] for id (or id 0) */
    HAMD_MEMBER_NOT_MEMBER,      /* remove: id is not in the configuration */
    HAMD_MEMBER_ALREADY_VOTER,   /* add: id already votes */
    HAMD_MEMBER_IS_LEADER,       /* remove: id leads; transfer first */
    HAMD_MEMBER_BUSY,            /* another change or a transfer runs */
    HAMD_MEMBER_FAILED,          /* libraft refused for another reason */
};

/* The next single-server step. */
enum hamd_member_step {
    HAMD_MEMBER_STEP_DONE = 0,   /* the operation is complete */
    HAMD_MEMBER_STEP_ADD_SPARE,  /* raft_add */
    HAMD_MEMBER_STEP_PROMOTE,    /* raft_assign(RAFT_VOTER) */
    HAMD_MEMBER_STEP_DEMOTE,     /* raft_assign(RAFT_STANDBY) */
    HAMD_MEMBER_STEP_REMOVE,     /* raft_remove */
};

/* The role of id in conf[0..n), HAMD_MEMBER_NONE when absent. */
enum hamd_member_role hamd_member_role_of(const struct hamd_member *conf,
                                          unsigned n, uint64_t id);

/* Number of voters in conf[0..n). */
unsigned hamd_member_voters(const struct hamd_member *conf, unsigned n);

/* Judges rq against the configuration conf[0..n). Returns HAMD_MEMBER_OK
 * or why not, checking in this order: leadership, the id, what the id is
 * now, then whether something else is in flight (so an operator learns
 * first that the request itself makes no sense). */
enum hamd_member_verdict
hamd_member_check(const struct hamd_member *conf, unsigned n,
                  const struct hamd_member_request *rq);

/* The next step of op on id given the configuration conf[0..n) now;
 * HAMD_MEMBER_STEP_DONE when there is none left. */
enum hamd_member_step hamd_member_next_step(const struct hamd_member *conf,
                                            unsigned n, enum hamd_member_op op,
                                            uint64_t id);

/* Voters once op on id is complete. */
unsigned hamd_member_voters_after(const struct hamd_member *conf, unsigned n,
                                  enum hamd_member_op op, uint64_t id);

/* "voter", "standby", "spare", "none". */
const char *hamd_member_role_name(enum hamd_member_role role);

/* A short English reason for a verdict ("ok" for HAMD_MEMBER_OK). */
const char *hamd_member_verdict_name(enum hamd_member_verdict v);

#endif /* HAMD_RAFT_MEMBERSHIP_H */
