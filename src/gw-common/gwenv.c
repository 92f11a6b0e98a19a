/* A C gateway's start: see gwenv.h. */
#include "gw-common/gwenv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/account.h"
#include "common/log.h"
#include "hamd/gwproto.h"

static volatile sig_atomic_t g_stop;

static void signal_cb(int sig)
{
    (void)sig;
    g_stop = 1;
}

const volatile sig_atomic_t *hamd_gwenv_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = signal_cb;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return &g_stop;
}

int hamd_gwenv_params_object(const json_t *obj, const char *const *known,
                             size_t n, char *err, size_t errcap)
{
    if (!json_is_object(obj)) {
        snprintf(err, errcap, "params: expected a JSON object");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(key, known[i]) == 0;
        if (!found)
            LOG_WARN("params: unknown key '%.60s' ignored", key);
    }
    return 0;
}

int hamd_gwenv_log_level(const json_t *obj, int *level, char *err,
                         size_t errcap)
{
    json_t *v = json_object_get(obj, "log_level");
    int parsed = json_is_string(v) ? hamd_log_level_parse(json_string_value(v))
                                   : -1;
    if (v && parsed < 0) {
        snprintf(err, errcap, "log_level: expected debug, info, warn or error");
        return -1;
    }
    if (v)
        *level = parsed;
    return 0;
}

int hamd_gwenv_read(struct hamd_gwenv *out)
{
    out->endpoint = getenv(HAMD_GW_ENV_ENDPOINT);
    out->account = getenv(HAMD_GW_ENV_ACCOUNT);
    out->params = getenv(HAMD_GW_ENV_PARAMS);
    if (!out->endpoint || !*out->endpoint) {
        LOG_ERROR("%s is not set (see --help)", HAMD_GW_ENV_ENDPOINT);
        return -1;
    }
    if (!out->account || !hamd_account_id_valid(out->account)) {
        LOG_ERROR("%s must be an account id: 1..%d of [a-z0-9_-], starting "
                  "with a letter or digit", HAMD_GW_ENV_ACCOUNT,
                  HAMD_ACCOUNT_SLUG_MAX);
        return -1;
    }
    const char *token = getenv(HAMD_GW_ENV_TOKEN);
    if (!token || !*token)
        LOG_WARN("%s is not set: hamd drops every message of a gateway "
                 "whose HELLO lacks the token it was launched with",
                 HAMD_GW_ENV_TOKEN);
    else if (strlen(token) >= HAMD_GW_TOKEN_MAX)
        LOG_WARN("%s is longer than %d bytes: the hub will refuse it",
                 HAMD_GW_ENV_TOKEN, HAMD_GW_TOKEN_MAX - 1);
    return 0;
}
