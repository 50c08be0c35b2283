#include "amt_uuid.h"
#include "tap.h"

int main(void)
{
    char out[37];
    is_int(amt_uuid_canonical("8C3F1E52-1234-4ABC-9DEF-0123456789AB", out), 0, "upper-case UUID accepted");
    is_str(out, "8c3f1e52-1234-4abc-9def-0123456789ab", "canonical form is lower case");
    is_int(amt_uuid_canonical("8c3f1e52-1234-4abc-9def-0123456789a", out), -1, "35 characters refused");
    is_int(amt_uuid_canonical("8c3f1e52-1234-4abc-9def-0123456789abc", out), -1, "37 characters refused");
    is_int(amt_uuid_canonical("8c3f1e5201234-4abc-9def-0123456789ab", out), -1, "missing dash refused");
    is_int(amt_uuid_canonical("8c3f1e52-1234-4abc-9def-0123456789ag", out), -1, "non-hex refused");
    is_int(amt_uuid_canonical("{8c3f1e52-1234-4abc-9def-0123456789}", out), -1, "braces refused");
    is_int(amt_uuid_canonical("", out), -1, "empty refused");
    is_int(amt_uuid_canonical(NULL, out), -1, "NULL refused");
    return tap_done();
}
