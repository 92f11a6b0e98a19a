/* Shared by the command codec's files only (cmd.c, cmd_encode.c,
 * cmd_decode.c): the shape of the top-level array. */
#ifndef HAMD_RAFT_CMD_INTERNAL_H
#define HAMD_RAFT_CMD_INTERNAL_H

#include "raft/cmd.h"

#define CMD_HEADER_ELEMS 2 /* [version, type] before the arguments */
#define CMD_ARRAY_MAX 16   /* longest top-level array a reader accepts */
#define CMD_PAIR_ELEMS 2   /* [vt_symbol, account] of an ASSIGN */

/* Number of arguments after [version, type] for a command type. */
unsigned cmd_nargs(enum hamd_cmd_type type);

#endif /* HAMD_RAFT_CMD_INTERNAL_H */
