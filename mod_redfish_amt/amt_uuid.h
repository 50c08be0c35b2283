/* RFC 4122 textual UUIDs, as used for Redfish SystemId (the AMT platform GUID). */
#ifndef AMT_UUID_H
#define AMT_UUID_H
#include <stddef.h>

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any hex case, nothing else
 * around it) and writes the canonical lower-case form to out (37 bytes).
 * Returns 0 on success, -1 if the text is not a UUID. */
int amt_uuid_canonical(const char *text, char out[37]);

/* Is the device the machine it was configured as? reported is the UUID the device
 * gives as its PlatformGUID (canonical, may be empty), expected the configured
 * SystemId (canonical). A DHCP lease that moved to another vPro machine gives
 * MISMATCH; placeholder GUIDs that some BIOSes leave (all zero, all ones,
 * 03000200-0400-0500-0006-000700080009) identify nothing and never match. */
typedef enum {
    AMT_ID_MATCH = 0,
    AMT_ID_MISMATCH,     /* another machine */
    AMT_ID_PLACEHOLDER,  /* a placeholder GUID: the device cannot prove who it is */
    AMT_ID_MISSING       /* no (parsable) PlatformGUID at all */
} amt_identity;

amt_identity amt_identity_check(const char *reported, const char *expected);
const char *amt_identity_text(amt_identity v);   /* "mismatch", "placeholder"... */

#endif
