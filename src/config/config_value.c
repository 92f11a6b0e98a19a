/* Syntax of single configuration values. See config_value.h. */
#include "config/config_value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define CFGVAL_HOST_MAX 253        /* DNS name length limit */
#define CFGVAL_MINUTES_PER_HOUR 60
#define CFGVAL_HOURS_PER_DAY 24
#define CFGVAL_WINDOW_LEN 11       /* strlen("HH:MM-HH:MM") */
#define CFGVAL_TIMEZONE_MAX 63     /* bytes of a zone name (char[64]) */
#define CFGVAL_SYMBOL_MAX (HAMD_SYMBOL_MAX - 1)     /* bytes, no NUL */
#define CFGVAL_EXCHANGE_MAX (HAMD_EXCHANGE_MAX - 1) /* bytes, no NUL */
#define CFGVAL_GW_TYPE_MAX (HAMD_GW_TYPE_MAX - 1)   /* bytes, no NUL */

/* ------------------------------------------------------------------------
 * Numbers and booleans
 * ------------------------------------------------------------------------ */

void cfgval_got(const char *text, bool echo, char *buf, size_t cap)
{
    if (!echo) {
        snprintf(buf, cap, "got a value that is not shown (secret)");
        return;
    }
    char shown[CFGVAL_ECHO_MAX + 4];
    size_t n = 0;
    for (; text[n] != '\0' && n < CFGVAL_ECHO_MAX; n++) {
        unsigned char c = (unsigned char)text[n];
        /* Control bytes would garble a terminal; bytes >= 0x80 may be
         * cut mid-character by the length limit. */
        shown[n] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    shown[n] = '\0';
    snprintf(buf, cap, "got '%s%s'", shown, text[n] != '\0' ? "..." : "");
}

/* Writes "<expected>, got '<text>'" into why. */
static bool cfgval_fail(const char *expected, const char *text, bool echo,
                        char *why, size_t why_cap)
{
    char got[CFGVAL_ECHO_MAX + 64];
    cfgval_got(text, echo, got, sizeof got);
    snprintf(why, why_cap, "%s, %s", expected, got);
    return false;
}

/* Parses digits only; false on anything else or a value above limit. */
static bool cfgval_digits(const char *text, unsigned long limit,
                          unsigned long *out)
{
    unsigned long v = 0;
    if (*text == '\0')
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > limit)
            return false;
    }
    *out = v;
    return true;
}

bool cfgval_uint_parse(const char *text, unsigned min, unsigned max,
                            bool echo, unsigned *out, char *why,
                            size_t why_cap)
{
    unsigned long v;
    if (!cfgval_digits(text, max, &v) || v < min) {
        char expected[64];
        snprintf(expected, sizeof expected, "expected an integer in %u..%u",
                 min, max);
        return cfgval_fail(expected, text, echo, why, why_cap);
    }
    *out = (unsigned)v;
    return true;
}

bool cfgval_bool_parse(const char *text, bool echo, bool *out,
                            char *why, size_t why_cap)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return cfgval_fail("expected true/false, yes/no, on/off or 1/0", text,
                       echo, why, why_cap);
}

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

/* Port: 1..65535, digits only. */
static bool cfgval_port_ok(const char *text)
{
    unsigned long port;
    return cfgval_digits(text, CFGVAL_PORT_MAX, &port) && port > 0;
}

/* A host name, interface name or IPv4 literal; all-numeric names must be
 * well-formed dotted quads so a typo such as 10.0.0.256 is caught. */
static bool cfgval_host_name_ok(const char *host)
{
    size_t len = strlen(host);
    bool numeric = true;
    if (len == 0 || len > CFGVAL_HOST_MAX)
        return false;
    for (const char *p = host; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
            *p != '_')
            return false;
        if (!isdigit((unsigned char)*p) && *p != '.')
            numeric = false;
    }
    struct in_addr addr;
    return !numeric || inet_pton(AF_INET, host, &addr) == 1;
}

/* Splits "HOST:PORT" or "[V6]:PORT" and checks both parts. */
static bool cfgval_host_port_ok(const char *text, bool allow_star)
{
    char buf[HAMD_ENDPOINT_MAX];
    if (strlen(text) >= sizeof buf)
        return false;
    strcpy(buf, text);
    char *colon = strrchr(buf, ':');
    if (colon == NULL || !cfgval_port_ok(colon + 1))
        return false;
    *colon = '\0';
    if (buf[0] == '[') {
        size_t len = strlen(buf);
        struct in6_addr addr6;
        if (len < 3 || buf[len - 1] != ']')
            return false;
        buf[len - 1] = '\0';
        return inet_pton(AF_INET6, buf + 1, &addr6) == 1;
    }
    if (allow_star && strcmp(buf, "*") == 0)
        return true;
    return cfgval_host_name_ok(buf);
}

bool cfgval_host_port_check(const char *text, bool echo, char *why,
                                 size_t why_cap)
{
    if (cfgval_host_port_ok(text, false))
        return true;
    return cfgval_fail("expected HOST:PORT with a port in 1..65535", text,
                       echo, why, why_cap);
}

bool cfgval_ipv4_port_check(const char *text, bool echo, char *why,
                                 size_t why_cap)
{
    char host[HAMD_ENDPOINT_MAX];
    const char *colon = strrchr(text, ':');
    struct in_addr addr;
    size_t host_len = colon != NULL ? (size_t)(colon - text) : 0;
    if (colon != NULL && host_len < sizeof host) {
        memcpy(host, text, host_len);
        host[host_len] = '\0';
        if (inet_pton(AF_INET, host, &addr) == 1 && cfgval_port_ok(colon + 1))
            return true;
    }
    return cfgval_fail("expected IPV4:PORT with an IPv4 literal such as "
                       "10.0.0.1:7001 (raft does not resolve names)",
                       text, echo, why, why_cap);
}

bool cfgval_zmq_check(const char *text, bool allow_inproc, bool echo,
                           char *why, size_t why_cap)
{
    static const char tcp[] = "tcp://", ipc[] = "ipc://";
    static const char inproc[] = "inproc://";
    if (strncmp(text, tcp, strlen(tcp)) == 0) {
        if (cfgval_host_port_ok(text + strlen(tcp), true))
            return true;
        return cfgval_fail("expected tcp://HOST:PORT with a port in 1..65535",
                           text, echo, why, why_cap);
    }
    if (strncmp(text, ipc, strlen(ipc)) == 0) {
        const char *path = text + strlen(ipc);
        if (path[0] != '\0' && strlen(path) <= CFGVAL_IPC_PATH_MAX &&
            cfgval_printable(path))
            return true;
        return cfgval_fail("expected ipc://PATH with a path of 1..107 bytes "
                           "(the limit of a unix socket)",
                           text, echo, why, why_cap);
    }
    if (allow_inproc && strncmp(text, inproc, strlen(inproc)) == 0 &&
        text[strlen(inproc)] != '\0' && cfgval_printable(text))
        return true;
    return cfgval_fail(allow_inproc ? "expected tcp://HOST:PORT, ipc://PATH "
                                      "or inproc://NAME"
                                    : "expected tcp://HOST:PORT or ipc://PATH",
                       text, echo, why, why_cap);
}

/* ------------------------------------------------------------------------
 * Session windows
 * ------------------------------------------------------------------------ */

/* Parses "HH:MM" at text (exactly 5 characters) into minutes; "24:00"
 * (the next midnight) only when it ends a window. */
static bool cfgval_clock_parse(const char *text, bool is_end, int *minutes)
{
    for (int i = 0; i < 5; i++) {
        bool want_colon = (i == 2);
        if (want_colon ? text[i] != ':' : !isdigit((unsigned char)text[i]))
            return false;
    }
    int hh = (text[0] - '0') * 10 + (text[1] - '0');
    int mm = (text[3] - '0') * 10 + (text[4] - '0');
    bool next_midnight = is_end && hh == CFGVAL_HOURS_PER_DAY && mm == 0;
    if ((hh >= CFGVAL_HOURS_PER_DAY && !next_midnight) ||
        mm >= CFGVAL_MINUTES_PER_HOUR)
        return false;
    *minutes = hh * CFGVAL_MINUTES_PER_HOUR + mm;
    return true;
}

/* State of a windows walk. */
struct cfgval_windows {
    struct hamd_session_window *out; /* destination array */
    unsigned max;                    /* its capacity */
    unsigned n;                      /* windows parsed so far */
    bool echo;                       /* quote bad items in errors */
};

static bool cfgval_window_item(void *ud, const char *item, char *why,
                               size_t why_cap)
{
    struct cfgval_windows *w = ud;
    struct hamd_session_window win;
    if (strlen(item) != CFGVAL_WINDOW_LEN || item[5] != '-' ||
        !cfgval_clock_parse(item, false, &win.start_min) ||
        !cfgval_clock_parse(item + 6, true, &win.end_min))
        return cfgval_fail("expected windows HH:MM-HH:MM (00:00..23:59, "
                           "24:00 as an end) separated by commas",
                           item, w->echo, why, why_cap);
    if (win.start_min == win.end_min)
        return cfgval_fail("a window must not start and end at the same "
                           "minute",
                           item, w->echo, why, why_cap);
    if (w->n == w->max) {
        snprintf(why, why_cap, "more than %u windows", w->max);
        return false;
    }
    w->out[w->n++] = win;
    return true;
}

bool cfgval_windows_parse(const char *text,
                               struct hamd_session_window *out, unsigned max,
                               unsigned *n, bool echo, char *why,
                               size_t why_cap)
{
    struct cfgval_windows w = {.out = out, .max = max, .n = 0, .echo = echo};
    if (!cfgval_list_walk(text, cfgval_window_item, &w, why, why_cap))
        return false;
    *n = w.n;
    return true;
}

/* ------------------------------------------------------------------------
 * JSON and lists
 * ------------------------------------------------------------------------ */

/* Names a JSON type for "expected a JSON object, got a JSON array". */
static const char *cfgval_json_type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    default: return "an object";
    }
}

bool cfgval_json_object_compact(const char *text, char *out,
                                     size_t out_cap, char *why,
                                     size_t why_cap)
{
    json_error_t jerr;
    json_t *value =
        json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (value == NULL) {
        /* jerr.text may quote the input ("near 'hunter2'"): not shown. */
        snprintf(why, why_cap, "expected a JSON object, got invalid JSON "
                 "(error at column %d)", jerr.column);
        return false;
    }
    bool ok = json_is_object(value);
    if (!ok)
        snprintf(why, why_cap, "expected a JSON object, got %s",
                 cfgval_json_type_name(value));
    char *compact = ok ? json_dumps(value, JSON_COMPACT) : NULL;
    if (ok && (compact == NULL || strlen(compact) >= out_cap)) {
        snprintf(why, why_cap, "JSON object longer than %zu bytes",
                 out_cap - 1);
        ok = false;
    }
    if (ok)
        strcpy(out, compact);
    free(compact);
    json_decref(value);
    return ok;
}

/* Trims spaces and tabs at both ends of s, in place; returns the start. */
static char *cfgval_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = '\0';
    return s;
}

bool cfgval_list_walk(const char *text, cfgval_item_fn fn,
                           void *ud, char *why, size_t why_cap)
{
    char *copy = strdup(text);
    if (copy == NULL) {
        snprintf(why, why_cap, "out of memory");
        return false;
    }
    bool ok = true;
    unsigned index = 0;
    char *rest = copy;
    while (ok && rest != NULL) {
        char *comma = strchr(rest, ',');
        if (comma != NULL)
            *comma = '\0';
        char *item = cfgval_trim(rest);
        index++;
        if (item[0] == '\0') {
            snprintf(why, why_cap, "item %u of the comma-separated list is "
                     "empty", index);
            ok = false;
        } else {
            ok = fn(ud, item, why, why_cap);
        }
        rest = comma != NULL ? comma + 1 : NULL;
    }
    free(copy);
    return ok;
}

/* ------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

/* True when every byte of s[0..len) is in the class test accepts. */
static bool cfgval_all(const char *s, size_t len, int (*test)(int c),
                       const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!test(c) && (c == '\0' || strchr(extra, c) == NULL))
            return false;
    }
    return true;
}

/* ctype adapters restricted to ASCII (locale-independent). */
static int cfgval_is_upper_digit(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int cfgval_is_lower_digit(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int cfgval_is_alnum(int c)
{
    return cfgval_is_upper_digit(c) || (c >= 'a' && c <= 'z');
}

bool cfgval_exchange_valid(const char *text)
{
    size_t len = strlen(text);
    return len >= 1 && len <= CFGVAL_EXCHANGE_MAX &&
           cfgval_all(text, len, cfgval_is_upper_digit, "_");
}

bool cfgval_vt_symbol_valid(const char *text)
{
    const char *dot = strrchr(text, '.');
    if (dot == NULL || strlen(text) >= HAMD_VT_SYMBOL_MAX)
        return false;
    size_t sym_len = (size_t)(dot - text);
    return sym_len >= 1 && sym_len <= CFGVAL_SYMBOL_MAX &&
           cfgval_all(text, sym_len, cfgval_is_alnum, "_&-") &&
           cfgval_exchange_valid(dot + 1);
}

bool cfgval_gw_type_valid(const char *text)
{
    size_t len = strlen(text);
    return len >= 1 && len <= CFGVAL_GW_TYPE_MAX &&
           cfgval_is_lower_digit((unsigned char)text[0]) &&
           cfgval_all(text, len, cfgval_is_lower_digit, "_-");
}

bool cfgval_timezone_valid(const char *text)
{
    size_t len = strlen(text);
    return len >= 1 && len <= CFGVAL_TIMEZONE_MAX && text[0] != '/' &&
           strstr(text, "..") == NULL &&
           cfgval_all(text, len, cfgval_is_alnum, "_+-/");
}

bool cfgval_printable(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}
