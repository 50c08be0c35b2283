#include "amt_uuid.h"

#include <ctype.h>
#include <string.h>

int amt_uuid_canonical(const char *text, char out[37])
{
    static const int dash_at[] = {8, 13, 18, 23};
    if (!text || strlen(text) != 36)
        return -1;
    for (int i = 0, d = 0; i < 36; i++) {
        unsigned char c = (unsigned char)text[i];
        if (d < 4 && i == dash_at[d]) {
            if (c != '-')
                return -1;
            out[i] = '-';
            d++;
        } else {
            if (!isxdigit(c))
                return -1;
            out[i] = (char)tolower(c);
        }
    }
    out[36] = '\0';
    return 0;
}

static int is_placeholder(const char *uuid)
{
    static const char *const placeholders[] = {
        "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "03000200-0400-0500-0006-000700080009", NULL};
    for (int i = 0; placeholders[i]; i++)
        if (strcmp(uuid, placeholders[i]) == 0)
            return 1;
    return 0;
}

amt_identity amt_identity_check(const char *reported, const char *expected)
{
    char r[37], e[37];
    if (!reported || amt_uuid_canonical(reported, r) != 0)
        return AMT_ID_MISSING;
    /* A placeholder never vouches for a machine, even if someone configured it. */
    if (is_placeholder(r))
        return AMT_ID_PLACEHOLDER;
    if (!expected || amt_uuid_canonical(expected, e) != 0 || strcmp(r, e) != 0)
        return AMT_ID_MISMATCH;
    return AMT_ID_MATCH;
}

const char *amt_identity_text(amt_identity v)
{
    switch (v) {
    case AMT_ID_MATCH: return "match";
    case AMT_ID_MISMATCH: return "mismatch";
    case AMT_ID_PLACEHOLDER: return "placeholder";
    case AMT_ID_MISSING: return "missing";
    }
    return "mismatch";
}
