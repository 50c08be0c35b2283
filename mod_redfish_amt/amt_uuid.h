/* RFC 4122 textual UUIDs, as used for Redfish SystemId (the AMT platform GUID). */
#ifndef AMT_UUID_H
#define AMT_UUID_H
#include <stddef.h>

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any hex case, nothing else
 * around it) and writes the canonical lower-case form to out (37 bytes).
 * Returns 0 on success, -1 if the text is not a UUID. */
int amt_uuid_canonical(const char *text, char out[37]);

#endif
