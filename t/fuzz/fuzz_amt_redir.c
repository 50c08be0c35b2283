/* libFuzzer target: the AMT redirection codec, the plain-mode client and the p=2
 * interceptor (mod_amt_relay/amt_redir.c), fed with hostile bytes from both sides.
 * Byte 0: bit 0 mode (SOL/KVM), bits 1-7 the read size; the rest is split into
 * alternating AMT and client chunks. Checks: consumption never exceeds input,
 * forwarded slices stay inside the input and the room, output stays within cap,
 * the password never appears in clear in digest-mode output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "amt_redir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char PW[] = "Zq9!secret-pw";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static amt_client c;
    static amt_icpt ic;
    static uint8_t out[AMT_AUTH_MSG_MAX + 64];
    amt_creds cr = { amt_s("admin"), amt_s(PW), 0 };
    amt_mode mode;
    size_t step, off;

    if (size < 1)
        return 0;
    mode = (data[0] & 1) ? AMT_MODE_KVM : AMT_MODE_SOL;
    step = (size_t)(data[0] >> 1) + 1;
    data++;
    size--;

    /* codec */
    (void)amt_msg_len(0, data, size);
    (void)amt_msg_len(1, data, size);
    {
        amt_str el[8];
        int n = amt_elements(data, size, el, 8);
        for (int i = 0; i < n; i++)
            if (el[i].p < (const char *)data || el[i].p + el[i].n > (const char *)data + size)
                abort();
    }

    amt_client_init(&c, mode, cr);
    amt_icpt_init(&ic, mode, cr);
    for (off = 0; off < size; off += step) {
        size_t chunk = size - off < step ? size - off : step, pos = 0;
        const uint8_t *p = data + off;
        int from_amt = (off / step) % 2 == 0;
        while (pos < chunk) {
            const uint8_t *u;
            size_t ul = 0, ol = 0, used;
            amt_result r1 = AMT_R_MORE, r2 = AMT_R_MORE;
            size_t room = (size_t)(p[pos] % 64) + 1;
            c.hold_busy = ic.hold_busy = p[pos] & 0x40; /* sometimes a BUSY is held */
            if (from_amt) {
                used = amt_client_from_amt(&c, p + pos, chunk - pos, room, &u, &ul, &r1);
                if (used > chunk - pos || ul > room || (ul && (u < p + pos || u + ul > p + chunk)))
                    abort();
                size_t used2 = amt_icpt_from_amt(&ic, p + pos, chunk - pos, room * 64, &u, &ul, &r2);
                if (used2 > chunk - pos || ul > room * 64 || (ul && (u < p + pos || u + ul > p + chunk)))
                    abort();
                if (r2 == AMT_R_BUSY && ul)
                    abort(); /* a held BUSY never reaches the browser */
                if (r1 == AMT_R_BUSY)
                    amt_client_restart(&c);
                if (r2 == AMT_R_BUSY && amt_icpt_restart(&ic, out, sizeof(out)) != 8)
                    abort();
                if (used2 > used)
                    used = used2;
            } else {
                used = amt_client_from_user(&c, p + pos, chunk - pos, out, 100, &ol);
                if (used > chunk - pos || ol > 100)
                    abort();
                size_t used2 = amt_icpt_from_client(&ic, p + pos, chunk - pos, out, sizeof(out), &ol, &r2);
                if (used2 > chunk - pos || ol > sizeof(out))
                    abort();
                if (ic.auth.have_challenge && !ic.direct && ol && out[0] == 0x13 && out[4] == 4 &&
                    memmem(out, ol, PW, sizeof(PW) - 1))
                    abort(); /* the password must only ever travel as a digest */
                if (used2 > used)
                    used = used2;
            }
            amt_client_tick(&c, off * 100);
            (void)amt_client_take_out(&c, out, (size_t)(p[pos] % 2 ? 16 : sizeof(out)));
            if (used == 0)
                break;
            pos += used;
        }
    }
    amt_client_stop(&c);
    (void)amt_client_take_out(&c, out, sizeof(out));
    return 0;
}
