/* RFB ZRLE decoding (encoding 16, RFC 6143 §7.7.6) for Intel AMT's KVM: one zlib stream per
 * RFB connection, sync-flushed at the end of every rectangle; 64x64 tiles; CPIXEL = 2 bytes
 * little-endian for the 16-bit RGB565 format AMT serves by default, 1 byte when the client
 * asked for 8-bit colour (the recorded AMT tiles are such a session). httpd-free; the
 * relay's RFB transcoder is to be built on it. Every length is checked against the
 * rectangle and the inflated data: hostile input gives an error, never a read or write out
 * of bounds. See docs/test-vectors.md for the AMT sample it is tested with. */
#ifndef RFB_ZRLE_H
#define RFB_ZRLE_H

#include <stddef.h>
#include <stdint.h>

#define RFB_ZRLE_TILE 64
/* Largest rectangle accepted (AMT's framebuffers are at most 4K x 4K, far less in practice). */
#define RFB_ZRLE_MAX_PIXELS (4096u * 4096u)

typedef struct rfb_zrle rfb_zrle;

/* One decoder per RFB connection (it owns the connection's zlib stream), for CPIXELs of
 * cpixel_bytes (2 = 16 bpp, 1 = 8 bpp). NULL on OOM or another size. */
rfb_zrle *rfb_zrle_new(unsigned cpixel_bytes);
void rfb_zrle_free(rfb_zrle *z);

/* Decodes one rectangle: data/len are the zlib bytes that follow the rectangle's 4-byte
 * length field. out receives w*h pixel values (RGB565, or the 8-bit value), row after row
 * (stride w). Returns 0, or -1
 * with a reason in err; after an error the stream is unusable (the connection must end). */
int rfb_zrle_decode(rfb_zrle *z, const uint8_t *data, size_t len, unsigned w, unsigned h,
                    uint16_t *out, char *err, size_t errlen);

#endif
