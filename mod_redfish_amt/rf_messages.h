/* Base message registry (DMTF Base.1.22.1) lookup and formatting. httpd-free. */
#ifndef RF_MESSAGES_H
#define RF_MESSAGES_H

#include <stddef.h>

#define RF_BASE_REGISTRY "Base.1.22.1"

typedef struct rf_message_def {
    const char *key;        /* e.g. "PropertyUnknown" */
    int nargs;
    const char *severity;   /* "OK", "Warning", "Critical" */
    const char *message;    /* with %1..%n placeholders */
    const char *resolution;
} rf_message_def;

extern const rf_message_def rf_base_messages[];

const rf_message_def *rf_message_find(const char *key);

/* Substitutes %1..%n with args into out (always NUL-terminated, truncated if
 * needed). Returns 0, or -1 if the key is unknown or nargs differs. */
int rf_message_format(const rf_message_def *m, const char *const *args, int nargs, char *out,
                      size_t outlen);

#endif
