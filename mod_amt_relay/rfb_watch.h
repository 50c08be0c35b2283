/* rfb_watch: reads along the start of a plain-mode KVM stream (RFB version,
 * security, ServerInit) without changing a byte, to catch the two firmware details
 * stock noVNC depends on (docs/real-hardware-redirection.md, "Guards"):
 *  - the security types include None (1): else noVNC asks for a VNC password that
 *    AMT's KVM has no use for;
 *  - ServerInit's name is exactly "Intel(r) AMT KVM": only then does noVNC ask for
 *    8-bit colour; otherwise it asks for 24-bit, which AMT answers by dropping the
 *    connection.
 * httpd-free; once ServerInit has passed it costs nothing. */
#ifndef RFB_WATCH_H
#define RFB_WATCH_H

#include <stddef.h>
#include <stdint.h>

#define RFB_AMT_NAME "Intel(r) AMT KVM"

typedef struct rfb_watch {
    int state;          /* RFB_W_* (rfb_watch.c) */
    int minor;          /* protocol version the client chose: 3, 7 or 8 */
    uint32_t need;      /* bytes still expected in the current field */
    uint8_t field[24];  /* the current fixed-size field */
    size_t have;
    int none_offered;
    uint8_t offered[16];/* the security types AMT offered (first 16) */
    int noffered;
    uint32_t name_len;
    char name[64];      /* the first 63 bytes of the ServerInit name */
    size_t name_have;
    uint8_t cver[12];   /* the client's version line */
    size_t cver_have;
    char reason[160];   /* set when a check failed: printable, no secrets (a close
                           frame keeps its first 123 bytes) */
} rfb_watch;

void rfb_watch_init(rfb_watch *w);
/* 1 while the handshake is still being read. */
int rfb_watch_active(const rfb_watch *w);
/* Bytes the client sends to AMT (only its version line matters). */
void rfb_watch_client(rfb_watch *w, const uint8_t *p, size_t n);
/* Bytes AMT sends to the client: 0 fine so far, -1 a check failed (w->reason). */
int rfb_watch_server(rfb_watch *w, const uint8_t *p, size_t n);

#endif
