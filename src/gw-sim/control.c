/* Control endpoint request parsing: see control.h. */
#include "gw-sim/control.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* True when the request is word, alone or followed by blanks. */
static bool is_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(text, word, n) != 0)
        return false;
    return strspn(text + n, " \t\r\n") == strlen(text + n);
}

int gwsim_command_parse(const void *frame, size_t len,
                        struct gwsim_command *out, char *err, size_t errcap)
{
    char text[GWSIM_CONTROL_REQUEST_MAX + 1];
    if (len > GWSIM_CONTROL_REQUEST_MAX || memchr(frame, '\0', len)) {
        snprintf(err, errcap, "request too long or not text");
        return -1;
    }
    memcpy(text, frame, len);
    text[len] = '\0';
    const char *p = text + strspn(text, " \t\r\n");
    memset(out, 0, sizeof *out);
    out->arg_ms = GWSIM_NEVER_MS;
    if (is_word(p, "status")) {
        out->kind = GWSIM_CMD_STATUS;
        return 0;
    }
    if (strncmp(p, "fault", 5) == 0 && (p[5] == '\0' || p[5] == ' ' ||
                                        p[5] == '\t')) {
        out->kind = GWSIM_CMD_FAULT;
        return gwsim_fault_spec_parse(p + 5, &out->fault, &out->arg_ms, err,
                                      errcap);
    }
    snprintf(err, errcap, "unknown request (expected 'fault NAME [ARG]' or "
             "'status')");
    return -1;
}
