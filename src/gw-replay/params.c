/* HAMD_GW_PARAMS of the replay gateway: see params.h. */
#include "gw-replay/params.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "gw-common/gwenv.h"
#include "gw-replay/pace.h"

#define TIME_HELP "an integer of epoch ns or an ISO 8601 time with its " \
                  "zone, e.g. \"2025-01-02T09:00:00+08:00\""
#define ISO_FRACTION_DIGITS_MAX 9 /* ns resolution */
#define MINUTES_PER_HOUR 60
#define SECONDS_PER_MINUTE 60

static const char *const KNOWN_KEYS[] = {
    "file", "speed", "loop", "from", "to", "start_at", "keep_recorded_time",
    "log_level",
};

/* ------------------------------------------------------------------------
 * Times
 * ------------------------------------------------------------------------ */

/* Reads ".fraction" at *p into ns; advances *p. */
static int parse_fraction(const char **p, int64_t *ns)
{
    int64_t scale = HAMD_NS_PER_S;
    int digits = 0;
    *ns = 0;
    if (**p != '.')
        return 0;
    for ((*p)++; **p >= '0' && **p <= '9'; (*p)++) {
        if (++digits > ISO_FRACTION_DIGITS_MAX)
            return -1;
        scale /= 10;
        *ns += (**p - '0') * scale;
    }
    return digits > 0 ? 0 : -1;
}

/* Reads the zone at p ("Z", "+08:00", "-0500") into seconds east of UTC. */
static int parse_zone(const char *p, int64_t *east_s)
{
    if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
        *east_s = 0;
        return 0;
    }
    int hh, mm, used = 0;
    if ((p[0] != '+' && p[0] != '-') ||
        (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 &&
         sscanf(p + 1, "%2d%2d%n", &hh, &mm, &used) != 2) ||
        p[1 + used] != '\0' || hh > 23 || mm > 59)
        return -1;
    *east_s = (hh * MINUTES_PER_HOUR + mm) * SECONDS_PER_MINUTE;
    if (p[0] == '-')
        *east_s = -*east_s;
    return 0;
}

/* Days in month mon (1..12) of year: timegm would read 2025-02-31 as
 * March 3 without a word, so a typo must be refused before it. */
static int days_in_month(int year, int mon)
{
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return DAYS[mon - 1] + (mon == 2 && leap);
}

int replay_time_parse(const char *text, int64_t *out_ns)
{
    struct tm tm = {0};
    int used = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
        used != 19 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > days_in_month(tm.tm_year, tm.tm_mon) ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    const char *p = text + used;
    int64_t frac_ns, east_s;
    if (parse_fraction(&p, &frac_ns) != 0 || parse_zone(p, &east_s) != 0)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t utc = timegm(&tm);
    *out_ns = ((int64_t)utc - east_s) * HAMD_NS_PER_S + frac_ns;
    return 0;
}

/* Reads an optional time key. Returns 0 (absent: *has false) or -1. */
static int get_time(json_t *obj, const char *key, bool *has, int64_t *out,
                    char *err, size_t errcap)
{
    json_t *v = json_object_get(obj, key);
    *has = v != NULL;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && replay_time_parse(json_string_value(v), out) == 0)
        return 0;
    snprintf(err, errcap, "%s: expected %s", key, TIME_HELP);
    return -1;
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

/* Reads an optional boolean key. */
static int get_bool(json_t *obj, const char *key, bool *out, char *err,
                    size_t errcap)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        snprintf(err, errcap, "%s: expected true or false", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

/* Reads `file` and `speed`. */
static int get_file_speed(json_t *obj, struct replay_params *out, char *err,
                          size_t errcap)
{
    json_t *file = json_object_get(obj, "file");
    if (!json_is_string(file) || json_string_length(file) == 0 ||
        json_string_length(file) >= REPLAY_PATH_MAX) {
        snprintf(err, errcap, "file: expected the path of a recording "
                 "(hactl record --out FILE)");
        return -1;
    }
    strcpy(out->file, json_string_value(file));
    json_t *speed = json_object_get(obj, "speed");
    if (!speed)
        return 0;
    double s = json_is_number(speed) ? json_number_value(speed) : -1;
    double milli = s * REPLAY_SPEED_UNIT;
    if (!isfinite(s) || s < 0 || s > REPLAY_SPEED_MAX ||
        (s > 0 && llround(milli) < 1)) {
        snprintf(err, errcap, "speed: expected 0 (as fast as possible) or a "
                 "number in 0.001..%d (1 = recorded pace)", REPLAY_SPEED_MAX);
        return -1;
    }
    out->speed_milli = (uint32_t)llround(milli);
    return 0;
}

/* Reads `start_at` and checks it against `loop`. */
static int get_start(json_t *obj, struct replay_params *out, char *err,
                     size_t errcap)
{
    json_t *v = json_object_get(obj, "start_at");
    bool has = false;
    if (json_is_string(v) && strcmp(json_string_value(v), "launch") == 0)
        out->start = REPLAY_START_LAUNCH;
    else if (get_time(obj, "start_at", &has, &out->start_at_ns, err,
                      errcap) != 0)
        return -1;
    else if (has)
        out->start = REPLAY_START_AT;
    if (!out->loop && !v) {
        snprintf(err, errcap, "start_at: required when loop is false: the "
                 "wall time the recording starts playing (%s), or "
                 "\"launch\"", TIME_HELP);
        return -1;
    }
    return 0;
}

/* Parses the object into out. */
static int parse_object(json_t *obj, struct replay_params *out, char *err,
                        size_t errcap)
{
    if (hamd_gwenv_params_object(obj, KNOWN_KEYS,
                                 sizeof KNOWN_KEYS / sizeof *KNOWN_KEYS, err,
                                 errcap) != 0)
        return -1;
    if (get_file_speed(obj, out, err, errcap) != 0 ||
        get_bool(obj, "loop", &out->loop, err, errcap) != 0 ||
        get_bool(obj, "keep_recorded_time", &out->keep_recorded_time, err,
                 errcap) != 0 ||
        get_time(obj, "from", &out->has_from, &out->from_ns, err, errcap) ||
        get_time(obj, "to", &out->has_to, &out->to_ns, err, errcap) ||
        get_start(obj, out, err, errcap) != 0 ||
        hamd_gwenv_log_level(obj, &out->log_level, err, errcap) != 0)
        return -1;
    if (out->has_from && out->has_to && out->to_ns <= out->from_ns) {
        snprintf(err, errcap, "to: must be later than from");
        return -1;
    }
    return 0;
}

int replay_params_parse(const char *json_text, struct replay_params *out,
                        char *err, size_t errcap)
{
    *out = (struct replay_params){.speed_milli = REPLAY_SPEED_UNIT,
                                  .loop = true, .log_level = -1};
    json_error_t jerr;
    json_t *obj = json_loads(json_text && *json_text ? json_text : "{}",
                             JSON_REJECT_DUPLICATES, &jerr);
    if (!obj) {
        snprintf(err, errcap, "params: invalid JSON at line %d column %d",
                 jerr.line, jerr.column);
        return -1;
    }
    int rc = parse_object(obj, out, err, errcap);
    json_decref(obj);
    return rc;
}
