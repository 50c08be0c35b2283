/* Message lookup and %n substitution for the Base registry subset. */
#include "rf_messages.h"

#include <string.h>

const rf_message_def *rf_message_find(const char *key)
{
    for (const rf_message_def *m = rf_base_messages; key && m->key; m++)
        if (strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

int rf_message_format(const rf_message_def *m, const char *const *args, int nargs, char *out,
                      size_t outlen)
{
    size_t o = 0;
    if (!m || nargs != m->nargs || outlen == 0)
        return -1;
    for (const char *p = m->message; *p; p++) {
        const char *ins = NULL;
        if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && p[1] - '1' < nargs) {
            ins = args[p[1] - '1'] ? args[p[1] - '1'] : "";
            p++;
        }
        if (ins) {
            size_t n = strlen(ins);
            if (n > outlen - 1 - o)
                n = outlen - 1 - o;
            memcpy(out + o, ins, n);
            o += n;
        } else if (o < outlen - 1) {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return 0;
}
