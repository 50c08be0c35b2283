/* Unit tests: AMT redirection codec, digest, plain-mode client and p=2 interceptor
 * against fixed test vectors of the protocol (docs/redirection-protocol.md). */
#include <stdlib.h>
#include <string.h>

#include "amt_digest.h"
#include "amt_redir.h"
#include "tap.h"

static size_t hex(const char *h, uint8_t *out)
{
    size_t n = 0;
    while (*h) {
        while (*h == ' ' || *h == '\n')
            h++;
        if (!*h)
            break;
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static int same(const uint8_t *a, size_t an, const char *hx)
{
    uint8_t b[512];
    size_t bn = hex(hx, b);
    return an == bn && memcmp(a, b, an) == 0;
}

#define REALM "Digest:56ABC7BE224EF620C69EB88F01071DC8"
#define NONCE "fVNueyEAAAAAAAAAcO8WqJ8s+WdyFUIY"

static const char *T_A5 =
    "14 01 00 00 04 4E 00 00 00 27 44 69 67 65 73 74 3A 35 36 41 42 43 37 42 45 32 32 34 45 46 36 32"
    "30 43 36 39 45 42 38 38 46 30 31 30 37 31 44 43 38 20 66 56 4E 75 65 79 45 41 41 41 41 41 41 41"
    "41 41 63 4F 38 57 71 4A 38 73 2B 57 64 79 46 55 49 59 04 61 75 74 68";
static const char *T_A6 =
    "13 00 00 00 04 B3 00 00 00 05 61 64 6D 69 6E 27 44 69 67 65 73 74 3A 35 36 41 42 43 37 42 45 32"
    "32 34 45 46 36 32 30 43 36 39 45 42 38 38 46 30 31 30 37 31 44 43 38 20 66 56 4E 75 65 79 45 41"
    "41 41 41 41 41 41 41 41 63 4F 38 57 71 4A 38 73 2B 57 64 79 46 55 49 59 13 2F 52 65 64 69 72 65"
    "63 74 69 6F 6E 53 65 72 76 69 63 65 20 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 30 31 32"
    "33 34 35 36 37 38 39 61 62 63 64 65 66 08 30 30 30 30 30 30 30 32 20 63 38 37 33 64 37 66 39 32"
    "30 31 30 64 65 39 32 61 37 39 65 64 65 64 31 34 62 31 34 63 33 65 31 04 61 75 74 68";
static const char *T_A4 =
    "13 00 00 00 04 20 00 00 00 05 61 64 6D 69 6E 00 00 13 2F 52 65 64 69 72 65 63 74 69 6F 6E 53 65"
    "72 76 69 63 65 00 00 00 00";

/* Checks that a final digest message verifies with password pw (as AMT would:
 * recomputed from the transmitted strings). */
static int digest_verifies(const uint8_t *m, size_t n, const char *user, const char *pw)
{
    amt_str el[8];
    char want[33];
    if (n < 9 || m[0] != 0x13 || m[4] != 4)
        return 0;
    if (amt_elements(m + 9, n - 9, el, 8) != 8)
        return 0;
    if (el[0].n != strlen(user) || memcmp(el[0].p, user, el[0].n) != 0)
        return 0;
    if (el[1].n != strlen(REALM) || memcmp(el[1].p, REALM, el[1].n) != 0 ||
        el[2].n != strlen(NONCE) || memcmp(el[2].p, NONCE, el[2].n) != 0)
        return 0;
    amt_digest_rfc2617(want, el[0], el[1], amt_s(pw), el[2], el[5], el[4], el[7], el[3]);
    return el[6].n == 32 && memcmp(el[6].p, want, 32) == 0;
}

/* Feeds one AMT message to the client; returns the result. */
static amt_result feed(amt_client *c, const char *hx, uint8_t *userbuf, size_t *user_total)
{
    uint8_t m[4096];
    size_t n = hex(hx, m), pos = 0;
    amt_result res = AMT_R_MORE;
    while (pos < n) {
        const uint8_t *u;
        size_t ul;
        size_t used = amt_client_from_amt(c, m + pos, n - pos, 65536, &u, &ul, &res);
        if (ul && userbuf) {
            memcpy(userbuf + *user_total, u, ul);
            *user_total += ul;
        }
        if (res == AMT_R_FAIL || res == AMT_R_DONE || used == 0)
            break;
        pos += used;
    }
    return res;
}

static size_t take(amt_client *c, uint8_t *out)
{
    return amt_client_take_out(c, out, 4096);
}

int main(void)
{
    uint8_t out[4096], m[4096];
    size_t n;
    char d[33];

    /* ---- digest vectors ---- */
    amt_str user = amt_s("admin"), pw = amt_s("P@ssw0rd"), realm = amt_s(REALM), nonce = amt_s(NONCE);
    amt_str uri = amt_s(AMT_REDIR_URI), qop = amt_s("auth");
    amt_digest_rfc2617(d, user, realm, pw, nonce, amt_s("00000002"),
                       amt_s("0123456789abcdef0123456789abcdef"), qop, uri);
    is_str(d, "c873d7f92010de92a79eded14b14c3e1", "T-A6 digest response");
    amt_digest_rfc2617(d, user, realm, pw, nonce, amt_s("00000001"), amt_s("a1b2c3d4e5"), qop, uri);
    is_str(d, "8dd4b2d209b05d694f144ee3c01cf41f", "T-A7 digest response");
    amt_digest_rfc2617(d, user, realm, pw, nonce, amt_s("1"), amt_s("a1b2c3d4e5"), qop, uri);
    is_str(d, "cbe12a991cb8804e4613264e3705788d", "T-A8 digest response (nc 1)");
    amt_digest_rfc2069(d, user, realm, pw, nonce, uri);
    is_str(d, "f7e1e9715f1297962cda65f499922b98", "T-A9 RFC 2069 response");
    {
        char cn[33], cn2[33];
        amt_digest_cnonce(cn, 32);
        amt_digest_cnonce(cn2, 32);
        ok(strlen(cn) == 32 && strspn(cn, "0123456789abcdef") == 32 && strcmp(cn, cn2) != 0,
           "cnonce is 32 random hex digits");
    }

    /* ---- builders ---- */
    n = amt_build_start(out, AMT_MODE_SOL);
    ok(same(out, n, "10 00 00 00 53 4F 4C 20"), "T-S1 start SOL");
    n = amt_build_start(out, AMT_MODE_KVM);
    ok(same(out, n, "10 01 00 00 4B 56 4D 52"), "T-S2 start KVM");
    n = amt_build_auth_query(out);
    ok(same(out, n, "13 00 00 00 00 00 00 00 00"), "T-A1 query");
    n = amt_build_auth_plain(out, sizeof(out), user, pw);
    ok(same(out, n, "13 00 00 00 01 0F 00 00 00 05 61 64 6D 69 6E 08 50 40 73 73 77 30 72 64"), "T-A3 plain login");
    n = amt_build_digest_initial(out, sizeof(out), 4, user);
    ok(same(out, n, T_A4), "T-A4 digest empty request");
    n = amt_build_digest_final(out, sizeof(out), 4, user, realm, nonce,
                               amt_s("0123456789abcdef0123456789abcdef"), amt_s("00000002"),
                               amt_s("c873d7f92010de92a79eded14b14c3e1"), qop);
    ok(same(out, n, T_A6), "T-A6 final digest message (188 bytes)");
    n = amt_build_sol_start(out, 1, 10000, 100, 0, 10000, 100, 0);
    ok(same(out, n, "20 00 00 00 01 00 00 00 10 27 64 00 00 00 10 27 64 00 00 00 00 00 00 00"), "T-L1 SOL start");
    n = amt_build_sol_start(out, 0, 1000, 100, 0, 10000, 0, 5000);
    ok(same(out, n, "20 00 00 00 00 00 00 00 E8 03 64 00 00 00 10 27 00 00 88 13 00 00 00 00"), "T-L2 SOL start");
    n = amt_build_sol_data_header(out, 3, 2);
    memcpy(out + n, "ab", 2);
    ok(same(out, n + 2, "28 00 00 00 03 00 00 00 02 00 61 62"), "T-L5 SOL data");
    n = amt_build_seq8(out, 0x22, 0);
    ok(same(out, n, "22 00 00 00 00 00 00 00"), "T-L9 SOL end");
    n = amt_build_end(out);
    ok(same(out, n, "12 00 00 00"), "T-S6 end session");
    n = amt_build_kvm_start(out);
    ok(same(out, n, "40 00 00 00 00 00 00 00"), "T-K1 KVM start");
    {
        char longu[300];
        memset(longu, 'u', 256);
        longu[256] = 0;
        is_int(amt_build_digest_initial(out, sizeof(out), 4, amt_s(longu)), 0, "256-byte user refused by builder");
        longu[40] = 0;
        n = amt_build_digest_initial(out, sizeof(out), 4, amt_s(longu));
        ok(n == 9 + 40 + 19 + 8 && out[5] == 40 + 19 + 8 && out[9] == 40, "40-char user: correct lengths");
    }

    /* ---- framing ---- */
    n = hex("11 00 00 00 01 00 02 00 55 55 00 00 02 aa bb", m);
    is_int(amt_msg_len(1, m, n), 15, "0x11 length = 13 + N");
    is_int(amt_msg_len(1, m, 12), 0, "0x11 needs 13 bytes to know");
    n = hex("2A 00 00 00 02 00 00 00 07 00 68 65 6C 6C 6F 0D 0A", m);
    is_int(amt_msg_len(1, m, n), 17, "T-L6 0x2A length");
    is_int(amt_msg_len(0, m, n), -1, "0x2A is not a console message");
    n = hex("14 00 00 00 04 00 10 00 00", m);
    is_int(amt_msg_len(1, m, n), -1, "auth reply over the bound refused");
    n = hex("99", m);
    is_int(amt_msg_len(1, m, n), -1, "unknown type refused");
    {
        amt_str el[8];
        n = hex("03 61 62 63 00 02 78 79", m);
        is_int(amt_elements(m, n, el, 8), 3, "elements parsed");
        is_int(amt_elements(m, n - 1, el, 8), -1, "truncated element refused");
        is_int(amt_elements(m, n, el, 2), -1, "too many elements refused");
    }

    /* ---- plain client, SOL: full handshake against the vectors ---- */
    {
        static amt_client c;
        static uint8_t ub[70000];
        size_t ut = 0;
        amt_creds cr = { user, pw, 0 };
        amt_client_init(&c, AMT_MODE_SOL, cr);
        n = take(&c, out);
        ok(same(out, n, "10 00 00 00 53 4F 4C 20"), "client starts with T-S1");
        is_int(feed(&c, "11 00 00 00 01 00 02 00 55 55 00 00 00", NULL, NULL), AMT_R_OK, "T-S4 accepted");
        n = take(&c, out);
        ok(same(out, n, "13 00 00 00 00 00 00 00 00"), "client sends the query");
        feed(&c, "14 00 00 00 00 02 00 00 00 03 04", NULL, NULL);
        n = take(&c, out);
        ok(same(out, n, T_A4), "client picks digest (4) and sends T-A4");
        feed(&c, T_A5, NULL, NULL);
        n = take(&c, out);
        ok(digest_verifies(out, n, "admin", "P@ssw0rd"), "final digest verifies with the password");
        ok(!memmem(out, n, "P@ssw0rd", 8), "password never on the wire");
        feed(&c, "14 00 00 00 04 00 00 00 00", NULL, NULL);
        n = take(&c, out);
        ok(n == 24 && out[0] == 0x20 && out[4] == 1 && out[18] == 0x88 && out[19] == 0x13,
           "SOL start sent (seq 1, heartbeat 5000)");
        ok(!amt_client_running(&c), "not running before 0x21");
        is_int(amt_client_from_user(&c, (const uint8_t *)"x", 1, out, sizeof(out), &n), 0,
               "user input waits until SOL runs");
        feed(&c, "21 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", NULL, NULL);
        ok(amt_client_running(&c), "T-L3 -> running");
        feed(&c, "29 00 00 00 01 00 00 00 03 04", ub, &ut);
        is_int(ut, 0, "T-L7 controls not delivered to the user");
        feed(&c, "2A 00 00 00 02 00 00 00 07 00 68 65 6C 6C 6F 0D 0A", ub, &ut);
        ok(ut == 7 && memcmp(ub, "hello\r\n", 7) == 0, "T-L6 payload delivered raw");
        feed(&c, "2B 00 00 00 03 00 00 00", ub, &ut);
        is_int(take(&c, out), 0, "AMT heartbeat not echoed");
        /* streamed payload with a small room */
        {
            const uint8_t *u;
            size_t ul, used;
            amt_result res;
            n = hex("2A 00 00 00 04 00 00 00 05 00 31 32 33 34 35", m);
            used = amt_client_from_amt(&c, m, 12, 2, &u, &ul, &res);
            is_int(used, 10, "header consumed first");
            used = amt_client_from_amt(&c, m + 10, 2, 1, &u, &ul, &res);
            ok(used == 1 && ul == 1 && u[0] == '1', "payload respects the room (back-pressure)");
            used = amt_client_from_amt(&c, m + 11, 4, 100, &u, &ul, &res);
            ok(used == 4 && ul == 4 && memcmp(u, "2345", 4) == 0, "payload rest delivered");
        }
        size_t used = amt_client_from_user(&c, (const uint8_t *)"ab", 2, out, sizeof(out), &n);
        ok(used == 2 && n == 12 && out[0] == 0x28 && out[4] == 2 && out[8] == 2 && !memcmp(out + 10, "ab", 2),
           "user bytes wrapped in 0x28 with the next sequence number");
        {
            static uint8_t big[10000];
            memset(big, 'q', sizeof(big));
            used = amt_client_from_user(&c, big, sizeof(big), out, sizeof(out), &n);
            ok(used == 4096 - 10 && n == 4096, "0x28 bounded by the output room");
        }
        is_int(amt_client_tick(&c, 1000), AMT_HEARTBEAT_MS, "first tick schedules the heartbeat");
        amt_client_tick(&c, 3000);
        n = take(&c, out);
        ok(n == 8 && out[0] == 0x2B, "heartbeat after 2 s");
        is_int(amt_client_stop(&c), 1, "stop waits for 0x23");
        n = take(&c, out);
        ok(n == 8 && out[0] == 0x22, "0x22 sent on stop");
        is_int(feed(&c, "23 00 00 00 00 00 00 00", NULL, NULL), AMT_R_DONE, "0x23 ends the session");
        n = take(&c, out);
        ok(same(out, n, "12 00 00 00"), "then 0x12");
    }

    /* ---- plain client, KVM ---- */
    {
        static amt_client c;
        static uint8_t ub[1000];
        size_t ut = 0;
        amt_creds cr = { user, pw, 0 };
        /* on a plain-TCP connection a type-1-only offer is a downgrade: refused */
        amt_client_init(&c, AMT_MODE_KVM, cr);
        take(&c, out);
        feed(&c, "11 00 00 00 01 00 02 00 55 55 00 00 00", NULL, NULL);
        take(&c, out);
        is_int(feed(&c, "14 00 00 00 00 01 00 00 00 01", NULL, NULL), AMT_R_FAIL,
               "only plain offered without TLS -> fails");
        ok(c.fail_code == 1011 && strstr(c.fail_reason, "only over TLS"), "... with a reason that says why");
        n = take(&c, out);
        ok(n == 0 || !memmem(out, n, "P@ssw0rd", 8), "... and the password is not sent");
        /* over TLS (plain_ok) type 1 is what AMT asked for */
        cr.plain_ok = 1;
        amt_client_init(&c, AMT_MODE_KVM, cr);
        take(&c, out);
        feed(&c, "11 00 00 00 01 00 02 00 55 55 00 00 00", NULL, NULL);
        take(&c, out);
        feed(&c, "14 00 00 00 00 01 00 00 00 01", NULL, NULL);
        n = take(&c, out);
        ok(same(out, n, "13 00 00 00 01 0F 00 00 00 05 61 64 6D 69 6E 08 50 40 73 73 77 30 72 64"),
           "only plain offered over TLS -> T-A3 login");
        ok(!memmem(c.out, sizeof(c.out), "P@ssw0rd", 8),
           "... and the client's queue no longer holds the password once handed over");
        feed(&c, "14 00 00 00 01 00 00 00 00", NULL, NULL);
        n = take(&c, out);
        ok(same(out, n, "40 00 00 00 00 00 00 00"), "KVM start after login");
        feed(&c, "41 00 00 00 00 00 00 00 52 46 42 20 30 30 34 2E 30 30 30 0A", ub, &ut);
        ok(ut == 12 && memcmp(ub, "RFB 004.000\n", 12) == 0, "T-K1: RFB bytes after 0x41 passed raw");
        amt_client_from_user(&c, (const uint8_t *)"RFB 003.008\n", 12, out, sizeof(out), &n);
        ok(n == 12 && memcmp(out, "RFB 003.008\n", 12) == 0, "RFB from the user passed raw");
        is_int(amt_client_stop(&c), 0, "KVM stop: just close");
    }

    /* ---- plain client failures ---- */
    {
        static amt_client c;
        amt_creds cr = { user, pw, 0 };
        amt_client_init(&c, AMT_MODE_KVM, cr);
        is_int(feed(&c, "11 02 00 00 01 00 02 00 55 55 00 00 00", NULL, NULL), AMT_R_FAIL, "T-S5 BUSY fails");
        ok(c.fail_code == 1013 && strstr(c.fail_reason, "busy"), "BUSY -> 1013 with reason");
        amt_client_init(&c, AMT_MODE_SOL, cr);
        feed(&c, "11 00 00 00 01 00 02 00 55 55 00 00 00", NULL, NULL);
        feed(&c, "14 00 00 00 00 02 00 00 00 03 04", NULL, NULL);
        feed(&c, T_A5, NULL, NULL);
        is_int(feed(&c, "14 01 00 00 04 00 00 00 00", NULL, NULL), AMT_R_FAIL, "wrong password fails");
        ok(c.fail_code == 1011 && strstr(c.fail_reason, "authentication failed"), "auth failure -> 1011");
        amt_client_init(&c, AMT_MODE_SOL, cr);
        feed(&c, "11 00 00 00 01 00 02 00 55 55 00 00 00", NULL, NULL);
        is_int(feed(&c, "14 00 00 00 00 01 00 00 00 02", NULL, NULL), AMT_R_FAIL, "Kerberos-only offer fails");
        amt_client_init(&c, AMT_MODE_SOL, cr);
        is_int(feed(&c, "99 00 00 00", NULL, NULL), AMT_R_FAIL, "garbage from AMT fails");
        amt_client_init(&c, AMT_MODE_SOL, cr);
        take(&c, out);
        is_int(amt_client_stop(&c), 0, "stop mid-handshake: no wait");
        n = take(&c, out);
        ok(same(out, n, "12 00 00 00"), "stop mid-handshake sends 0x12");
    }

    /* ---- p=2 interceptor: ui-toolkit with empty credentials ---- */
    {
        static amt_icpt ic;
        amt_creds cr = { user, pw, 0 };
        amt_result res;
        const uint8_t *f;
        size_t fl, used;
        amt_icpt_init(&ic, AMT_MODE_KVM, cr);
        n = hex("10 01 00 00 4B 56 4D 52", m);
        used = amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(used == 8 && same(out, n, "10 01 00 00 4B 56 4D 52"), "0x10 KVMR forwarded");
        n = hex("11 00 00 00 01 00 02 00 55 55 00 00 00", m);
        used = amt_icpt_from_amt(&ic, m, n, 4096, &f, &fl, &res);
        ok(used == 13 && fl == 13 && res == AMT_R_OK, "0x11 success forwarded");
        n = hex("13 00 00 00 00 00 00 00 00", m);
        used = amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(used == 9 && n == 9, "query forwarded");
        n = hex("13 00 00 00 04 08 00 00 00 00 00 00 00 00 00 00 00", m);
        used = amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(used == 17 && same(out, n, T_A4), "T-A11 empty request -> T-A4 with the real user");
        n = hex(T_A5, m);
        used = amt_icpt_from_amt(&ic, m, n, 4096, &f, &fl, &res);
        ok(used == 87 && fl == 87 && res == AMT_R_OK && ic.auth.have_challenge, "challenge forwarded and recorded");
        /* the browser's final digest from empty strings */
        {
            amt_str z = { "", 0 };
            n = amt_build_digest_final(m, sizeof(m), 4, z, realm, nonce, amt_s("ffff"), amt_s("00000002"),
                                       amt_s("00000000000000000000000000000000"), qop);
        }
        size_t inlen = n;
        used = amt_icpt_from_client(&ic, m, inlen, out, sizeof(out), &n, &res);
        ok(used == inlen && digest_verifies(out, n, "admin", "P@ssw0rd"),
           "browser's final digest replaced by one that verifies");
        ok(!memmem(out, n, "P@ssw0rd", 8), "password not sent in clear");
        n = hex("14 00 00 00 04 00 00 00 00", m);
        used = amt_icpt_from_amt(&ic, m, n, 4096, &f, &fl, &res);
        ok(used == 9 && fl == 9 && ic.direct, "T-A10 success forwarded, direct mode");
        n = hex("40 00 00 00 00 00 00 00 52", m);
        used = amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(used == 9 && n == 9 && !memcmp(out, m, 9), "direct: client bytes copied");
        used = amt_icpt_from_amt(&ic, m, 9, 4, &f, &fl, &res);
        ok(used == 4 && fl == 4 && f == m, "direct: AMT bytes bounded by room");
    }
    {
        static amt_icpt ic;
        amt_creds cr = { amt_s("a-rather-long-administrator-name-0123456789"), pw, 0 };
        amt_result res;
        const uint8_t *f;
        size_t fl;
        amt_icpt_init(&ic, AMT_MODE_SOL, cr);
        n = hex("10 01 00 00 4B 56 4D 52", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(res == AMT_R_FAIL && ic.fail_code == 1008, "KVM tag on a SOL token -> 1008");
        amt_icpt_init(&ic, AMT_MODE_SOL, cr);
        n = hex("10 00 00 00 53 4F 4C 20", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        n = hex("13 00 00 00 04 08 00 00 00 00 00 00 00 00 00 00 00", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(res == AMT_R_OK && out[9] == 43 && n == 9 + 43 + 19 + 8 && out[5] == 43 + 19 + 8,
           "43-char username: well-formed empty request");
        n = hex("11 02 00 00 01 00 02 00 55 55 00 00 00", m);
        amt_icpt_init(&ic, AMT_MODE_SOL, cr);
        amt_icpt_from_amt(&ic, m, n, 4096, &f, &fl, &res);
        ok(res == AMT_R_FAIL && fl == 13 && ic.fail_code == 1013, "BUSY forwarded then 1013");
        amt_icpt_init(&ic, AMT_MODE_SOL, cr);
        n = hex("28 00 00 00 01 00 00 00 01 00 41", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(res == AMT_R_FAIL && ic.fail_code == 1002, "SOL data before authentication -> 1002");
        amt_icpt_init(&ic, AMT_MODE_SOL, cr);
        n = hex("10 00 00 00 53 4F 4C 20", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        n = hex("13 00 00 00 02 00 00 00 00", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(res == AMT_R_FAIL && ic.fail_code == 1008, "Kerberos through the relay refused");
        /* a browser asking for type 1 would make the relay send the stored password in
           clear: refused on plain TCP and, since any token holder could ask, over
           (even verified) TLS too */
        amt_icpt_init(&ic, AMT_MODE_SOL, cr);
        n = hex("10 00 00 00 53 4F 4C 20", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        n = hex("13 00 00 00 01 02 00 00 00 00 00", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        ok(res == AMT_R_FAIL && ic.fail_code == 1008 && strstr(ic.fail_reason, "not available"),
           "p=2 type-1 login on plain TCP -> 1008");
        cr.plain_ok = 1;
        amt_icpt_init(&ic, AMT_MODE_SOL, cr);
        n = hex("10 00 00 00 53 4F 4C 20", m);
        amt_icpt_from_client(&ic, m, n, out, sizeof(out), &n, &res);
        n = hex("13 00 00 00 01 02 00 00 00 00 00", m);
        memset(out, 0, sizeof(out));
        size_t in_len = n;
        amt_icpt_from_client(&ic, m, in_len, out, sizeof(out), &n, &res);
        ok(res == AMT_R_FAIL && ic.fail_code == 1008 && !memmem(out, sizeof(out), "P@ssw0rd", 8),
           "p=2 type-1 login over verified TLS -> 1008 too, the password is not sent");
    }
    return tap_done();
}
