/* ComputerSystem.Reset during a console session: refuse what AMT would hold back
 * or drop, and never report a ForceOff that has not happened (rf_power_guard.c). */
#ifndef RF_POWER_GUARD_H
#define RF_POWER_GUARD_H

#include "amt_device.h"
#include "rf_http.h"

/* Before the change: OK, or DONE with a 409 sent (a console session is open). */
int rf_power_guard_before(rf_req *q, const amt_device *d, int cim, const char *reset_type);
/* AMT answered return_value: OK (not a session refusal), or DONE with a 409 sent. */
int rf_power_guard_refused(rf_req *q, const amt_device *d, uint32_t return_value,
                           const char *reset_type);
/* After AMT accepted: OK, or DONE with a 409 sent (accepted but not carried out). */
int rf_power_guard_after(rf_req *q, const amt_device *d, int cim, const char *reset_type);

#endif
