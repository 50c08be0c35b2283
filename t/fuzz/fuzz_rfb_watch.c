/* libFuzzer target: rfb_watch reading AMT's side of an RFB handshake. The first
 * byte picks the client's version and how the rest is split into reads. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rfb_watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const versions[] = {"RFB 003.003\n", "RFB 003.007\n", "RFB 003.008\n",
                                           "RFB 003.889\n"};
    rfb_watch w;
    size_t off = 1, step;
    if (size < 1)
        return 0;
    step = (size_t)(data[0] >> 2) + 1;
    rfb_watch_init(&w);
    /* the client answers after AMT's version line (or at once when it is short) */
    size_t first = size - off < 12 ? size - off : 12;
    rfb_watch_server(&w, data + off, first);
    off += first;
    rfb_watch_client(&w, (const uint8_t *)versions[data[0] & 3], 12);
    while (off < size && rfb_watch_active(&w)) {
        size_t n = size - off < step ? size - off : step;
        if (rfb_watch_server(&w, data + off, n) < 0 && strlen(w.reason) >= sizeof(w.reason))
            __builtin_trap();
        off += n;
    }
    return 0;
}
