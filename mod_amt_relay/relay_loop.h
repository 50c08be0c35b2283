/* relay_loop: the I/O side of one taken-over connection:
 * drains the client filter chain until EAGAIN, writes to the client and reads/writes
 * the AMT socket without ever blocking (so a slow client back-pressures AMT without
 * stopping its own input), gives up on a client that accepts nothing for the idle
 * time, and lets relay_pump decide everything else. */
#ifndef RELAY_LOOP_H
#define RELAY_LOOP_H

#include "httpd.h"
#include "relay_backend.h"
#include "relay_pump.h"
#include "relay_registry.h"

/* Runs until the stream is over. slot (may be NULL) receives the byte counters.
 * dev and connect_timeout are for connecting to AMT again after a BUSY the pump
 * holds (relay_pump_amt_reconnect_due). */
void relay_loop_run(request_rec *r, relay_pump *pump, relay_backend *be, relay_slot *slot,
                    const amt_device *dev, apr_interval_time_t connect_timeout);

#endif
