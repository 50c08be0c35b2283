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
    /* identity: the device's PlatformGUID against the configured SystemId */
    is_int(amt_identity_check("8C3F1E52-1234-4ABC-9DEF-0123456789AB", "8c3f1e52-1234-4abc-9def-0123456789ab"),
           AMT_ID_MATCH, "same GUID (any case) matches");
    is_int(amt_identity_check("8c3f1e52-1234-4abc-9def-0123456789ac", "8c3f1e52-1234-4abc-9def-0123456789ab"),
           AMT_ID_MISMATCH, "another machine's GUID: mismatch");
    is_int(amt_identity_check("521e3f8c-3412-bc4a-9def-0123456789ab", "8c3f1e52-1234-4abc-9def-0123456789ab"),
           AMT_ID_MISMATCH, "byte-swapped form is not the same machine");
    is_int(amt_identity_check("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
           AMT_ID_PLACEHOLDER, "all-zero placeholder never matches, even if configured");
    is_int(amt_identity_check("03000200-0400-0500-0006-000700080009", "8c3f1e52-1234-4abc-9def-0123456789ab"),
           AMT_ID_PLACEHOLDER, "the 03000200-... BIOS placeholder is named as such");
    is_int(amt_identity_check("", "8c3f1e52-1234-4abc-9def-0123456789ab"), AMT_ID_MISSING,
           "no GUID: missing (fails closed)");
    is_int(amt_identity_check(NULL, "8c3f1e52-1234-4abc-9def-0123456789ab"), AMT_ID_MISSING, "NULL: missing");
    is_str(amt_identity_text(AMT_ID_PLACEHOLDER), "placeholder", "verdict text");
    return tap_done();
}
