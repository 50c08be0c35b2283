/* The interface mod_amt_relay offers to other modules (mod_redfish_amt) through
 * APR optional functions, so neither module links against the other. The relay
 * may not be loaded: retrieve with APR_RETRIEVE_OPTIONAL_FN and treat NULL as
 * "no relay, no live streams". */
#ifndef AMT_RELAY_API_H
#define AMT_RELAY_API_H

#include "apr_optional.h"

/* Number of live relay streams (server-wide, all processes) to system_id (a
 * SystemId, any hex case) in mode "kvm" or "sol" (NULL: both modes), from the
 * relay's shared stream table; -1 when the table is unavailable. Takes the
 * relay's global mutex briefly: do not call it while holding another module's
 * global lock. */
APR_DECLARE_OPTIONAL_FN(int, amt_relay_active_streams, (const char *system_id, const char *mode));

/* Asks every live stream to system_id in mode ("kvm"/"sol"; NULL: both) to end
 * (close 1008, AMT session ended politely) within about a second. Returns how many
 * were asked, or -1 when the table is unavailable. Same locking rule as above. */
APR_DECLARE_OPTIONAL_FN(int, amt_relay_end_streams, (const char *system_id, const char *mode));

#endif
