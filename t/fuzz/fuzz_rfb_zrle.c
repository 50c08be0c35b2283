/* libFuzzer target: the ZRLE decoder of mod_amt_relay (rfb_zrle.c) fed with hostile
 * rectangles, several in a row on one zlib stream as an RFB connection would.
 *
 * Input: byte 0 selects the CPIXEL size (bit 0: 1 or 2 bytes) and whether the payload is
 * taken as zlib bytes from the wire (bit 1 clear) or as inflated tile data that the harness
 * deflates itself with a sync flush per rectangle (bit 1 set, so that mutations reach the
 * tile parser instead of dying in zlib); bytes 1-2 the rectangle's width and height (1-160);
 * then rectangles as [2-byte big-endian length][bytes]. The decoder writes into a buffer of
 * exactly w*h pixels (ASan catches any write past it); after a failure the stream must
 * refuse everything. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "rfb_zrle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned cpx = (data[0] & 1) ? 1 : 2;
    int deflate_here = data[0] & 2;
    unsigned w = data[1] % 160 + 1, h = data[2] % 160 + 1;
    data += 3;
    size -= 3;
    rfb_zrle *z = rfb_zrle_new(cpx);
    uint16_t *px = malloc(sizeof *px * w * h);
    z_stream enc;
    memset(&enc, 0, sizeof enc);
    int enc_ok = deflateInit(&enc, 1) == Z_OK;
    static uint8_t zbuf[1 << 17];
    char err[128];
    int failed = 0;
    while (z && px && enc_ok && size >= 2) {
        size_t n = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        const uint8_t *rect = data;
        size_t rlen = n;
        if (deflate_here) {
            enc.next_in = (Bytef *)data;
            enc.avail_in = (uInt)n;
            enc.next_out = zbuf;
            enc.avail_out = sizeof zbuf;
            if (deflate(&enc, Z_SYNC_FLUSH) != Z_OK || enc.avail_in)
                break;
            rect = zbuf;
            rlen = sizeof zbuf - enc.avail_out;
        }
        int rc = rfb_zrle_decode(z, rect, rlen, w, h, px, err, sizeof err);
        if (failed && rc == 0)
            abort(); /* a failed stream must stay failed */
        if (rc != 0) {
            if (!memchr(err, '\0', sizeof err) || !err[0])
                abort(); /* every refusal says why */
            failed = 1;
        }
        data += n;
        size -= n;
    }
    if (enc_ok)
        deflateEnd(&enc);
    free(px);
    rfb_zrle_free(z);
    return 0;
}
