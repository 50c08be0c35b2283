/* amt_ops against the simulator (t/amtsim/amtsim): the full call sequences over real
 * HTTP digest and TLS. Starts its own amtsim on 127.0.1.20 and 127.0.1.23-127.0.1.27
 * (make-test-ca does not certify 127.0.3.x: that device tests the host name check) and stops it.
 * Skips (TAP SKIP) when amtsim is not built.
 * Finds the binaries via $AMTSIM / $AMTSIMCTL / $MAKE_TEST_CA, else under $BUILDDIR and
 * $SRCDIR (default "."): t/amtsim/amtsim, t/amtsim/amtsimctl, t/amtsim/make-test-ca. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "amt_ops.h"
#include "tap.h"

extern char **environ;

#define ID_ACM "8c3f1e52-1234-4abc-9def-0123456789ab"
#define ID_CCM "8c3f1e52-1234-4abc-9def-0123456789ac"
#define ID_BARE "8c3f1e52-1234-4abc-9def-0123456789ad"
#define ID_TLS "8c3f1e52-1234-4abc-9def-0123456789ae"
#define ID_TLS_NOSAN "8c3f1e52-1234-4abc-9def-0123456789af"
#define PASS "P@ssw0rd"

static char tmpdir[] = "/tmp/amtops-live-XXXXXX";
static char sock_path[128], ready_path[128];
static char amtsim[512], amtsimctl[512], make_ca[512];

static const char *path_of(char *out, size_t n, const char *env, const char *base_env,
                           const char *rel)
{
    const char *e = getenv(env);
    if (e && *e) {
        snprintf(out, n, "%s", e);
    } else {
        const char *b = getenv(base_env);
        snprintf(out, n, "%s/%s", b && *b ? b : ".", rel);
    }
    return out;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Port of kind ("wsman=" / "wsman-tls=") for device id in the ready file, 0 if absent. */
static int ready_port(const char *id, const char *kind)
{
    FILE *f = fopen(ready_path, "r");
    if (!f)
        return 0;
    char line[512];
    int port = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, id, strlen(id)) == 0) {
            char pat[32];
            snprintf(pat, sizeof pat, " %s", kind);
            const char *p = strstr(line, pat);
            if (p)
                port = atoi(p + strlen(pat));
        }
    fclose(f);
    return port;
}

static int run_wait(char *const argv[])
{
    pid_t pid;
    int st;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The code the device shows on screen (amtsimctl SOCK code ID). */
static int read_code(const char *id, char *out, size_t n)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s' code %s", amtsimctl, sock_path, id);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    out[0] = '\0';
    char *ok_ = fgets(out, (int)n, p);
    pclose(p);
    out[strcspn(out, "\r\n \t")] = '\0';
    return ok_ && strlen(out) > 0 ? 0 : -1;
}

static int cert_pin(const char *pem, unsigned char pin[32])
{
    FILE *f = fopen(pem, "r");
    if (!f)
        return -1;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    unsigned int n = 0;
    int rc = x && X509_digest(x, EVP_sha256(), pin, &n) && n == 32 ? 0 : -1;
    X509_free(x);
    return rc;
}

static amt_device dev(const char *id, const char *host, int port, const char *password)
{
    amt_device d;
    memset(&d, 0, sizeof d);
    snprintf(d.system_id, sizeof d.system_id, "%s", id);
    d.name = d.host = host;
    d.user = "admin";
    d.password = password;
    d.wsman_port = port;
    return d;
}

/* With tls=on the ready file reports the TLS port as wsman-tls= (or as wsman=). */
static int tls_port(const char *id)
{
    int p = ready_port(id, "wsman-tls=");
    return p ? p : ready_port(id, "wsman=");
}

static void check_state_ok(amt_client *c, amt_state *s, const char *what)
{
    char err[256] = "";
    int rc = amt_get_state(c, s, err, sizeof err);
    if (!ok(rc == AMT_OK, "get_state %s", what))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
}

static void test_acm(apr_pool_t *pool, int port)
{
    amt_device d = dev(ID_ACM, "127.0.1.23", port, PASS);
    amt_client *c = amt_client_create(pool, &d, 5000);
    ok(c != NULL, "client for the ACM device");
    if (!c)
        return;
    amt_state s;
    char err[256];
    check_state_ok(c, &s, "(first)");
    unsigned long first = amt_client_calls(c);
    printf("# first get_state: %lu exchanges\n", first);
    ok(first <= 10, "first read costs at most 10 exchanges (got %lu)", first);
    is_int(s.control_mode, AMT_MODE_ACM, "ACM");
    ok(s.kvm_available && s.kvm_enabled, "KVM available and enabled");
    ok(s.sol_enabled && s.ider_enabled && s.listener_enabled, "SOL, IDER, listener on");
    is_int(s.optin_required, 0, "consent none");
    is_int(s.optin_state, AMT_OPTIN_NOT_STARTED, "opt-in not started");
    is_int(s.power_state, 2, "power on");
    is_str(s.fw_version, "16.1.27", "firmware version from the Server header");
    is_str(s.platform_guid, ID_ACM, "platform GUID converted to the configured UUID");
    check_state_ok(c, &s, "(second)");
    unsigned long second = amt_client_calls(c) - first;
    printf("# later get_state: %lu exchanges\n", second);
    is_int(second, 8, "later reads cost 8 exchanges (identity cached; GUID rechecked, OS power saving read)");
    ok(s.identity_valid, "identity marked valid");
    {
        /* A fresh client given the previous result skips the identity Gets. */
        amt_client *f = amt_client_create(pool, &d, 5000);
        amt_state s2;
        int rc = amt_get_state_with(f, &s, &s2, err, sizeof err);
        ok(rc == AMT_OK, "get_state_with on a fresh client");
        is_int(amt_client_calls(f), 8, "fresh client with known identity: 8 exchanges");
        is_str(s2.platform_guid, ID_ACM, "identity carried over");
        is_int(amt_get_state_with(f, &s2, &s2, err, sizeof err), AMT_OK, "known may alias out");
        is_str(s2.platform_guid, ID_ACM, "identity intact when aliased");
        amt_client_destroy(f);
    }

    is_int(amt_set_kvm(c, 0, err, sizeof err), AMT_OK, "disable KVM");
    check_state_ok(c, &s, "after KVM off");
    ok(!s.kvm_enabled, "KVM disabled");
    ok(s.sol_enabled && s.ider_enabled, "SOL and IDER untouched");
    ok(s.listener_enabled, "listener kept for SOL/IDER");
    is_int(amt_set_kvm(c, 1, err, sizeof err), AMT_OK, "enable KVM");
    check_state_ok(c, &s, "after KVM on");
    ok(s.kvm_enabled && s.sol_enabled && s.ider_enabled, "KVM on, SOL/IDER untouched");

    is_int(amt_set_sol(c, 0, err, sizeof err), AMT_OK, "disable SOL");
    check_state_ok(c, &s, "after SOL off");
    ok(!s.sol_enabled, "SOL disabled");
    ok(s.kvm_enabled && s.ider_enabled && s.listener_enabled, "KVM, IDER, listener untouched");
    is_int(amt_set_sol(c, 1, err, sizeof err), AMT_OK, "enable SOL");
    check_state_ok(c, &s, "after SOL on");
    ok(s.sol_enabled && s.kvm_enabled && s.ider_enabled, "SOL on, KVM/IDER untouched");

    uint32_t rv = 99;
    is_int(amt_power_change(c, 8, &rv, err, sizeof err), AMT_OK, "power off-soft (8)");
    is_int(rv, 0, "ReturnValue 0");
    check_state_ok(c, &s, "after power off");
    is_int(s.power_state, 8, "power state 8");
    is_int(amt_power_change(c, 2, &rv, err, sizeof err), AMT_OK, "power on (2)");
    check_state_ok(c, &s, "after power on");
    is_int(s.power_state, 2, "power state 2");
    unsigned long before = amt_client_calls(c);
    is_int(amt_power_change(c, 99, &rv, err, sizeof err), AMT_E_INVALID, "power state 99 refused");
    is_int(amt_client_calls(c) - before, 0, "...without contacting the device");
    amt_client_destroy(c);
}

/* KVM/SOL alone on the listener: switching them off must turn the listener off. */
static void test_listener(apr_pool_t *pool, int port)
{
    amt_device d = dev(ID_BARE, "127.0.1.25", port, PASS);
    amt_client *c = amt_client_create(pool, &d, 5000);
    amt_state s;
    char err[256];
    check_state_ok(c, &s, "bare device");
    ok(!s.sol_enabled && !s.ider_enabled && s.kvm_enabled && s.listener_enabled,
       "bare device: only KVM, listener on");
    /* as some real firmware: <HostName></HostName>, and "Server: AMT" without a version */
    is_str(s.hostname, "", "empty HostName read as empty");
    is_str(s.fw_version, "", "bare Server header: no firmware version, no error");
    is_int(amt_set_kvm(c, 0, err, sizeof err), AMT_OK, "disable the only feature");
    check_state_ok(c, &s, "after KVM off");
    ok(!s.kvm_enabled && !s.listener_enabled, "listener off with nothing using it");
    is_int(amt_set_sol(c, 1, err, sizeof err), AMT_OK, "enable SOL");
    check_state_ok(c, &s, "after SOL on");
    ok(s.sol_enabled && s.listener_enabled && !s.kvm_enabled && !s.ider_enabled,
       "SOL on brings the listener up, KVM/IDER stay off");
    is_int(amt_set_sol(c, 0, err, sizeof err), AMT_OK, "disable SOL");
    check_state_ok(c, &s, "after SOL off");
    ok(!s.sol_enabled && !s.listener_enabled, "listener off again");
    is_int(amt_set_kvm(c, 1, err, sizeof err), AMT_OK, "enable KVM");
    check_state_ok(c, &s, "after KVM on");
    ok(s.kvm_enabled && s.listener_enabled && !s.sol_enabled, "KVM on brings the listener up");
    amt_client_destroy(c);
}

static void test_ccm_consent(apr_pool_t *pool, int port)
{
    amt_device d = dev(ID_CCM, "127.0.1.24", port, PASS);
    amt_client *c = amt_client_create(pool, &d, 5000);
    amt_state s;
    char err[256] = "", code[32];
    uint32_t rv = 99;
    check_state_ok(c, &s, "CCM device");
    is_int(s.control_mode, AMT_MODE_CCM, "CCM");
    ok(s.optin_required == 0xFFFFFFFFu, "consent ALL in CCM");

    unsigned long before = amt_client_calls(c);
    is_int(amt_optin_send_code(c, "12a456", &rv, err, sizeof err), AMT_E_INVALID, "non-digit code refused");
    is_int(amt_optin_send_code(c, "1234567", &rv, err, sizeof err), AMT_E_INVALID, "7-digit code refused");
    is_int(amt_client_calls(c) - before, 0, "...without contacting the device");

    is_int(amt_optin_send_code(c, "123456", &rv, err, sizeof err), AMT_E_RETURN_VALUE,
           "SendOptInCode before StartOptIn fails");
    is_int(rv, 2, "ReturnValue 2 (invalid state)");

    rv = 99;
    int rc = amt_optin_start(c, &rv, err, sizeof err);
    if (!ok(rc == AMT_OK, "StartOptIn"))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
    is_int(rv, 0, "StartOptIn ReturnValue 0");
    check_state_ok(c, &s, "after StartOptIn");
    ok(s.optin_state == AMT_OPTIN_REQUESTED || s.optin_state == AMT_OPTIN_DISPLAYED,
       "opt-in requested/displayed (%d)", (int)s.optin_state);
    /* The code is on the device's screen; wait for DISPLAYED as a console would. */
    for (int i = 0; i < 50 && s.optin_state != AMT_OPTIN_DISPLAYED; i++) {
        usleep(100000);
        amt_get_state(c, &s, err, sizeof err);
    }
    is_int(s.optin_state, AMT_OPTIN_DISPLAYED, "code displayed");
    ok(read_code(ID_CCM, code, sizeof code) == 0, "read the on-screen code via amtsimctl");
    char wrong[8];
    snprintf(wrong, sizeof wrong, "%06lu", (strtoul(code, NULL, 10) + 1) % 1000000);
    rv = 0;
    is_int(amt_optin_send_code(c, wrong, &rv, err, sizeof err), AMT_E_RETURN_VALUE, "wrong code refused");
    is_int(rv, 2066, "ReturnValue 2066");
    ok(strstr(err, "2066") != NULL, "err names the ReturnValue: %s", err);
    rv = 99;
    rc = amt_optin_send_code(c, code, &rv, err, sizeof err);
    if (!ok(rc == AMT_OK, "right code accepted"))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
    is_int(rv, 0, "ReturnValue 0");
    check_state_ok(c, &s, "after the right code");
    is_int(s.optin_state, AMT_OPTIN_RECEIVED, "consent received (3)");

    rv = 99;
    rc = amt_optin_cancel(c, &rv, err, sizeof err);
    printf("# CancelOptIn in RECEIVED: %s rv=%u\n", amt_rc_name(rc), rv);
    ok(rc == AMT_OK || (rc == AMT_E_RETURN_VALUE && rv == 2), "CancelOptIn answered");
    check_state_ok(c, &s, "after cancel");
    if (rc == AMT_OK)
        is_int(s.optin_state, AMT_OPTIN_NOT_STARTED, "cancel returns to NOT STARTED");
    /* Start -> Cancel from REQUESTED/DISPLAYED is the documented path. */
    if (s.optin_state == AMT_OPTIN_NOT_STARTED) {
        is_int(amt_optin_start(c, &rv, err, sizeof err), AMT_OK, "StartOptIn again");
        is_int(amt_optin_cancel(c, &rv, err, sizeof err), AMT_OK, "CancelOptIn while pending");
        check_state_ok(c, &s, "after cancel while pending");
        is_int(s.optin_state, AMT_OPTIN_NOT_STARTED, "back to NOT STARTED");
    }
    amt_client_destroy(c);
}

static void test_failures(apr_pool_t *pool, int port)
{
    amt_state s;
    char err[256] = "";
    amt_device d = dev(ID_ACM, "127.0.1.23", port, "not-the-password");
    amt_client *c = amt_client_create(pool, &d, 3000);
    is_int(amt_get_state(c, &s, err, sizeof err), AMT_E_AUTH, "wrong password -> AMT_E_AUTH");
    ok(!strstr(err, "not-the-password"), "no password in the error");
    amt_client_destroy(c);

    /* Port 9 (discard) on an address nothing binds: connection refused. */
    d = dev(ID_ACM, "127.0.1.27", 9, PASS);
    c = amt_client_create(pool, &d, 1000);
    double t0 = now_s();
    is_int(amt_get_state(c, &s, err, sizeof err), AMT_E_UNREACHABLE, "nothing listening -> AMT_E_UNREACHABLE");
    ok(now_s() - t0 < 1.5, "within the 1 s timeout");
    amt_client_destroy(c);
}

static void test_tls(apr_pool_t *pool, int port, int port_nosan, const char *cadir)
{
    char ca[600], srv[600];
    snprintf(ca, sizeof ca, "%s/ca.pem", cadir);
    snprintf(srv, sizeof srv, "%s/server.pem", cadir);
    amt_state s;
    char err[256] = "";
    amt_device d = dev(ID_TLS, "127.0.1.20", port, PASS);
    d.tls = 1;
    d.tls_ca_file = ca;
    amt_client *c = amt_client_create(pool, &d, 5000);
    int rc = amt_get_state(c, &s, err, sizeof err);
    if (!ok(rc == AMT_OK, "TLS with the test CA"))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
    is_str(s.platform_guid, ID_TLS, "right device over TLS");
    amt_client_destroy(c);

    amt_device n = dev(ID_TLS_NOSAN, "127.0.3.26", port_nosan, PASS);
    n.tls = 1;
    n.tls_ca_file = ca;
    c = amt_client_create(pool, &n, 5000);
    rc = amt_get_state(c, &s, err, sizeof err);
    if (!ok(rc == AMT_E_TLS, "CA-verified TLS checks the host name (127.0.3.26 not in the SAN)"))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
    amt_client_destroy(c);

    d.tls_ca_file = NULL;
    d.tls_pin_set = cert_pin(srv, d.tls_pin) == 0;
    ok(d.tls_pin_set, "pin of server.pem computed");
    c = amt_client_create(pool, &d, 5000);
    rc = amt_get_state(c, &s, err, sizeof err);
    if (!ok(rc == AMT_OK, "TLS with the right certificate pin"))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
    amt_client_destroy(c);

    /* A pin trusts that certificate whatever name it carries. */
    memcpy(n.tls_pin, d.tls_pin, 32);
    n.tls_pin_set = 1;
    n.tls_ca_file = NULL;
    c = amt_client_create(pool, &n, 5000);
    rc = amt_get_state(c, &s, err, sizeof err);
    if (!ok(rc == AMT_OK, "pinned certificate accepted on an address outside its SAN"))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
    amt_client_destroy(c);

    d.tls_pin[0] ^= 0xff;
    c = amt_client_create(pool, &d, 5000);
    is_int(amt_get_state(c, &s, err, sizeof err), AMT_E_TLS, "wrong pin -> AMT_E_TLS");
    is_int(amt_client_calls(c), 1, "failed on the first exchange");
    amt_client_destroy(c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char base[64];
    path_of(amtsim, sizeof amtsim, "AMTSIM", "BUILDDIR", "t/amtsim/amtsim");
    path_of(amtsimctl, sizeof amtsimctl, "AMTSIMCTL", "BUILDDIR", "t/amtsim/amtsimctl");
    path_of(make_ca, sizeof make_ca, "MAKE_TEST_CA", "SRCDIR", "t/amtsim/make-test-ca");
    if (access(amtsim, X_OK) != 0 || access(amtsimctl, X_OK) != 0) {
        printf("1..0 # SKIP amtsim not built (%s)\n", amtsim);
        return 0;
    }
    if (!mkdtemp(tmpdir))
        return 1;
    snprintf(sock_path, sizeof sock_path, "%s/ctl.sock", tmpdir);
    snprintf(ready_path, sizeof ready_path, "%s/ready", tmpdir);
    snprintf(base, sizeof base, "%s/ca", tmpdir);
    int have_tls = 0;
    if (access(make_ca, X_OK) == 0) {
        char *argv[] = {make_ca, base, NULL};
        have_tls = run_wait(argv) == 0;
    }

    char d1[256], d2[256], d3[256], d4[600], d5[600];
    snprintf(d1, sizeof d1, "id=%s,addr=127.0.1.23,mode=acm,consent=none,user=admin,password=%s,tls=off,wsman-port=0,redir-port=0", ID_ACM, PASS);
    snprintf(d2, sizeof d2, "id=%s,addr=127.0.1.24,mode=ccm,consent=all,user=admin,password=%s,tls=off,wsman-port=0,redir-port=0", ID_CCM, PASS);
    snprintf(d3, sizeof d3, "id=%s,addr=127.0.1.25,mode=acm,user=admin,password=%s,tls=off,sol=off,ider=off,kvm=on,wsman-port=0,redir-port=0,empty-hostname=on,server-header=AMT", ID_BARE, PASS);
    snprintf(d4, sizeof d4, "id=%s,addr=127.0.1.20,mode=acm,user=admin,password=%s,tls=on,cert=%s/server.pem,key=%s/server-key.pem,wsman-port=0,redir-port=0", ID_TLS, PASS, base, base);
    snprintf(d5, sizeof d5, "id=%s,addr=127.0.3.26,mode=acm,user=admin,password=%s,tls=on,cert=%s/server.pem,key=%s/server-key.pem,wsman-port=0,redir-port=0", ID_TLS_NOSAN, PASS, base, base);
    char *argv[20];
    int a = 0;
    argv[a++] = amtsim;
    argv[a++] = "--device"; argv[a++] = d1;
    argv[a++] = "--device"; argv[a++] = d2;
    argv[a++] = "--device"; argv[a++] = d3;
    if (have_tls) {
        argv[a++] = "--device"; argv[a++] = d4;
        argv[a++] = "--device"; argv[a++] = d5;
    }
    argv[a++] = "--control"; argv[a++] = sock_path;
    argv[a++] = "--ready-file"; argv[a++] = ready_path;
    argv[a] = NULL;
    pid_t pid;
    if (posix_spawn(&pid, amtsim, NULL, NULL, argv, environ) != 0) {
        printf("1..0 # SKIP cannot start amtsim\n");
        return 0;
    }
    int p_acm = 0;
    for (int i = 0; i < 100 && !(p_acm = ready_port(ID_ACM, "wsman=")); i++)
        usleep(100000);
    if (!ok(p_acm > 0, "amtsim ready")) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return tap_done();
    }

    apr_initialize();
    amt_ops_global_init();
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    test_acm(pool, p_acm);
    test_listener(pool, ready_port(ID_BARE, "wsman="));
    test_ccm_consent(pool, ready_port(ID_CCM, "wsman="));
    test_failures(pool, p_acm);
    if (have_tls) {
        test_tls(pool, tls_port(ID_TLS), tls_port(ID_TLS_NOSAN), base);
    } else {
        printf("# skipped TLS: %s missing or failed\n", make_ca);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    curl_global_cleanup();
    xmlCleanupParser();

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    return tap_done();
}
