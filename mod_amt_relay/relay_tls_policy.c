/* The relay's copy of the TLS-to-AMT policy object: the one source is
 * mod_redfish_amt/amt_tls.c, shared with the WS-Man plane. It is compiled through
 * this file because apxs writes each object next to its source, and the two
 * modules are built in parallel. */
#include "amt_tls.c"
