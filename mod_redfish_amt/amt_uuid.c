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
