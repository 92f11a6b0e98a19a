/* Syntax of single configuration values (docs/configuration.md), for src/config.c.
 *
 * Pure: text in, verdict and parsed value out; no I/O, no global state.
 * On failure a parser writes why it failed into `why`, phrased to follow
 * "<file>:<line>: [<section>] <key>: ", e.g.
 * "expected an integer in 10..10000, got 'abc'". The offending text is
 * quoted only when `echo` is true, so callers pass false for keys whose
 * value may be a secret.
 */
#ifndef HAMD_CONFIG_VALUE_H
#define HAMD_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

#define CFGVAL_ECHO_MAX 48   /* bytes of a bad value quoted in errors */
#define CFGVAL_PORT_MAX 65535
#define CFGVAL_IPC_PATH_MAX 107 /* sun_path of a unix socket, no NUL */

/* Called once per item of a comma-separated list; returns false and fills
 * why to stop the walk. */
typedef bool (*cfgval_item_fn)(void *ud, const char *item, char *why,
                                    size_t why_cap);

/* Parses a decimal integer in min..max (no sign, no spaces inside). */
bool cfgval_uint_parse(const char *text, unsigned min, unsigned max,
                            bool echo, unsigned *out, char *why,
                            size_t why_cap);

/* Parses true/false, yes/no, on/off, 1/0 (any case). */
bool cfgval_bool_parse(const char *text, bool echo, bool *out,
                            char *why, size_t why_cap);

/* Checks a ZeroMQ endpoint: tcp://HOST:PORT, ipc://PATH and, when
 * allow_inproc, inproc://NAME. HOST is an IPv4 literal, a host or
 * interface name, "*" or a bracketed IPv6 literal. */
bool cfgval_zmq_check(const char *text, bool allow_inproc, bool echo,
                           char *why, size_t why_cap);

/* Checks HOST:PORT where HOST is an IPv4 literal, a host name or a
 * bracketed IPv6 literal (an HTTP listen or connect address). */
bool cfgval_host_port_check(const char *text, bool echo, char *why,
                                 size_t why_cap);

/* Checks IPV4:PORT with a dotted-quad IPv4 literal (raft addresses). */
bool cfgval_ipv4_port_check(const char *text, bool echo, char *why,
                                 size_t why_cap);

/* Parses "HH:MM-HH:MM[,HH:MM-HH:MM...]" into at most max windows of
 * [start, end) minutes; end before start means the window crosses
 * midnight, an end of 24:00 is minute 1440. Sets *n. */
bool cfgval_windows_parse(const char *text,
                               struct hamd_session_window *out, unsigned max,
                               unsigned *n, bool echo, char *why,
                               size_t why_cap);

/* Compacts a JSON object into out (capacity out_cap). Never quotes the
 * text in why: params carry passwords. */
bool cfgval_json_object_compact(const char *text, char *out,
                                     size_t out_cap, char *why,
                                     size_t why_cap);

/* Splits text on commas, trims each item and calls fn; an empty item or
 * an empty list is an error. */
bool cfgval_list_walk(const char *text, cfgval_item_fn fn,
                           void *ud, char *why, size_t why_cap);

/* True for an exchange code: 1..15 of [A-Z0-9_], e.g. "SHFE". */
bool cfgval_exchange_valid(const char *text);

/* True for "SYMBOL.EXCHANGE": SYMBOL 1..31 of [A-Za-z0-9_&-] (no dot),
 * EXCHANGE valid, 47 bytes at most. */
bool cfgval_vt_symbol_valid(const char *text);

/* True for a gateway type: 1..31 of [a-z0-9_-], starting alphanumeric. */
bool cfgval_gw_type_valid(const char *text);

/* True for an IANA time-zone name such as "Asia/Shanghai" or "UTC":
 * 1..63 of [A-Za-z0-9_+-/], no leading '/', no "..". */
bool cfgval_timezone_valid(const char *text);

/* True when text holds no control character (tabs included). */
bool cfgval_printable(const char *text);

/* Writes "got 'TEXT'" (at most CFGVAL_ECHO_MAX bytes of it, control
 * characters as '?') or, when !echo, "got a value that is not shown". */
void cfgval_got(const char *text, bool echo, char *buf, size_t cap);

#endif /* HAMD_CONFIG_VALUE_H */
