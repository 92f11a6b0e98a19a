/* [sessions] holidays: the holiday file (docs/operations.md, "Trading
 * calendar"), read once at start-up. One date YYYY-MM-DD a line, '#'
 * starts a comment; the dates are parsed by core/sessions.c. A line that
 * is not a date, a date listed twice or too many dates stop start-up with
 * the file and the line named. A relative path is relative to the
 * directory of the configuration file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config/config_loader.h"

/* Reports a problem of the holiday file at line (0: the file as a whole). */
static bool cfg_holidays_fail(struct cfg_loader *ld, unsigned line,
                              const char *why)
{
    const char *file = ld->cfg->holidays_file;
    if (line == 0)
        return cfg_fail(ld, 0, "%s: [sessions] holidays: %s", file, why);
    return cfg_fail(ld, 0, "%s:%u: [sessions] holidays: %s", file, line,
                    why);
}

/* Reads the dates of f into cfg->holidays, remembering each one's line. */
static bool cfg_holidays_read(struct cfg_loader *ld, FILE *f,
                              unsigned lines[HAMD_HOLIDAYS_MAX])
{
    struct hamd_config *cfg = ld->cfg;
    char line[HAMD_HOLIDAY_LINE_MAX], why[CFG_WHY_MAX];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f))
            return cfg_holidays_fail(ld, lineno, "line too long");
        int32_t date;
        int rc = hamd_holiday_line_parse(line, &date, why, sizeof why);
        if (rc < 0)
            return cfg_holidays_fail(ld, lineno, why);
        if (rc == 0)
            continue;
        if (cfg->n_holidays == HAMD_HOLIDAYS_MAX) {
            snprintf(why, sizeof why, "more than %d dates", HAMD_HOLIDAYS_MAX);
            return cfg_holidays_fail(ld, lineno, why);
        }
        lines[cfg->n_holidays] = lineno;
        cfg->holidays[cfg->n_holidays++] = date;
    }
    if (ferror(f))
        return cfg_holidays_fail(ld, 0, "cannot read the file");
    return true;
}

/* The line of the first copy of a date (lines[] follows file order). */
static unsigned cfg_holiday_line_of(const struct hamd_config *cfg,
                                    const unsigned *lines, int32_t date,
                                    const int32_t *file_order)
{
    for (unsigned i = 0; i < cfg->n_holidays; i++)
        if (file_order[i] == date)
            return lines[i];
    return 0;
}

/* A relative holiday path is taken from the config file's directory, so
 * hamd (started from /) and hactl (started anywhere) find the same file.
 * False when the result does not fit. */
static bool cfg_holidays_resolve(struct hamd_config *cfg)
{
    const char *slash = strrchr(cfg->path, '/');
    if (cfg->holidays_file[0] == '/' || !slash)
        return true;
    char full[PATH_MAX];
    int n = snprintf(full, sizeof full, "%.*s/%s", (int)(slash - cfg->path),
                     cfg->path, cfg->holidays_file);
    if (n < 0 || (size_t)n >= sizeof full)
        return false;
    memcpy(cfg->holidays_file, full, (size_t)n + 1);
    return true;
}

bool cfg_holidays_load(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    cfg->n_holidays = 0;
    if (!cfg->holidays_file[0])
        return true;
    if (!cfg_holidays_resolve(cfg))
        return cfg_holidays_fail(ld, 0, "path too long");
    FILE *f = fopen(cfg->holidays_file, "r");
    if (!f) {
        char why[CFG_WHY_MAX];
        snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
        return cfg_holidays_fail(ld, 0, why);
    }
    unsigned lines[HAMD_HOLIDAYS_MAX];      /* 4 KB each: start-up only */
    int32_t file_order[HAMD_HOLIDAYS_MAX];
    bool ok = cfg_holidays_read(ld, f, lines);
    fclose(f);
    if (!ok)
        return false;
    memcpy(file_order, cfg->holidays, cfg->n_holidays * sizeof *file_order);
    long dup = hamd_holidays_sort(cfg->holidays, cfg->n_holidays);
    if (dup < 0)
        return true;
    /* Name both lines of the date listed twice. */
    int32_t date = cfg->holidays[dup];
    unsigned first = cfg_holiday_line_of(cfg, lines, date, file_order);
    unsigned second = 0;
    for (unsigned i = 0; i < cfg->n_holidays; i++)
        if (file_order[i] == date && lines[i] != first)
            second = lines[i];
    char day[16], why[CFG_WHY_MAX];
    hamd_holiday_format(date, day, sizeof day);
    snprintf(why, sizeof why, "%s listed twice (first at line %u)", day,
             first);
    return cfg_holidays_fail(ld, second, why);
}
