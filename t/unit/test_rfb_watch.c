/* rfb_watch: the plain-KVM RFB handshake checks, fed in every split. */
#include <string.h>

#include "rfb_watch.h"
#include "tap.h"

/* AMT's side of a 3.8 handshake: version, security list, SecurityResult, ServerInit. */
static size_t server_bytes(uint8_t *out, const uint8_t *sec, size_t nsec, const char *name, int minor)
{
    size_t n = 0;
    memcpy(out, "RFB 004.000\n", 12);
    n = 12;
    if (minor == 3) {
        memset(out + n, 0, 3);
        out[n + 3] = sec[0];
        n += 4;
    } else {
        out[n++] = (uint8_t)nsec;
        memcpy(out + n, sec, nsec);
        n += nsec;
        if (minor == 8) {
            memset(out + n, 0, 4);
            n += 4;
        }
    }
    static const uint8_t init[20] = {0x02, 0xd0, 0x01, 0x90, 16, 16, 0, 1, 0, 31, 0, 63, 0, 31, 11, 5};
    memcpy(out + n, init, 20);
    n += 20;
    size_t l = strlen(name);
    out[n++] = (uint8_t)(l >> 24), out[n++] = (uint8_t)(l >> 16), out[n++] = (uint8_t)(l >> 8);
    out[n++] = (uint8_t)l;
    memcpy(out + n, name, l);
    return n + l;
}

/* Runs a whole exchange with AMT's bytes in pieces of `step`; returns the verdict. */
static int run(const uint8_t *sec, size_t nsec, const char *name, int minor, size_t step, rfb_watch *w)
{
    uint8_t s[256];
    size_t n = server_bytes(s, sec, nsec, name, minor), off = 0;
    const char *cv = minor == 3 ? "RFB 003.003\n" : minor == 7 ? "RFB 003.007\n" : "RFB 003.008\n";
    int rc = 0;
    rfb_watch_init(w);
    /* AMT's version, then the client's answer, then the rest */
    for (; off < 12 && rc == 0; off += step)
        rc = rfb_watch_server(w, s + off, off + step > 12 ? 12 - off : step);
    off = 12;
    rfb_watch_client(w, (const uint8_t *)cv, 5);
    rfb_watch_client(w, (const uint8_t *)cv + 5, 7);
    for (; off < n && rc == 0; off += step)
        rc = rfb_watch_server(w, s + off, off + step > n ? n - off : step);
    return rc;
}

int main(void)
{
    static const uint8_t none[] = {1}, vnc[] = {2}, both[] = {2, 1};
    rfb_watch w;
    size_t steps[] = {1, 3, 7, 200};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        size_t st = steps[i];
        for (int minor = 3; minor <= 8; minor += minor == 3 ? 4 : 1) {
            is_int(run(none, 1, RFB_AMT_NAME, minor, st, &w), 0, "3.%d step %zu: AMT's handshake passes", minor, st);
            ok(!rfb_watch_active(&w), "3.%d step %zu: watching ends after ServerInit", minor, st);
            is_int(run(none, 1, "Intel(r) AMT KVM 2", minor, st, &w), -1, "3.%d step %zu: other name caught",
                   minor, st);
            ok(strstr(w.reason, "'Intel(r) AMT KVM 2' is not") != NULL, "3.%d: reason names it (%s)", minor,
               w.reason);
            is_int(run(vnc, 1, RFB_AMT_NAME, minor, st, &w), -1, "3.%d step %zu: no None caught", minor, st);
            ok(strstr(w.reason, "security None (2)") != NULL, "3.%d: reason lists the types (%s)", minor,
               w.reason);
        }
        is_int(run(both, 2, RFB_AMT_NAME, 8, st, &w), 0, "step %zu: None among others passes", st);
    }
    is_int(run(none, 1, "", 8, 5, &w), -1, "empty name caught");
    is_int(run(none, 1, "Intel(r) AMT KVM\x01'x", 8, 5, &w), -1, "odd bytes in the name caught");
    ok(strstr(w.reason, "KVM??x") != NULL, "and shown as ? (%s)", w.reason);
    /* a refusal from AMT (count 0 + reason) is the client's to show: not a guard failure */
    rfb_watch_init(&w);
    rfb_watch_server(&w, (const uint8_t *)"RFB 004.000\n", 12);
    rfb_watch_client(&w, (const uint8_t *)"RFB 003.008\n", 12);
    is_int(rfb_watch_server(&w, (const uint8_t *)"\0\0\0\0\4boom", 9), 0, "count 0: passed on");
    ok(!rfb_watch_active(&w), "and no longer watched");
    tap_done();
    return 0;
}
