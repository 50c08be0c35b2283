/* amtops-cli: run one amt_ops call against a device (real AMT or amtsim) and print the
 * result; for debugging and demos. The password comes from $AMT_PASSWORD, never argv.
 *
 *   AMT_PASSWORD=... amtops-cli [-u user] [-p port] [-t ms] [--tls] [--ca FILE]
 *                               [--pin SHA256HEX] [--insecure] HOST COMMAND [ARG]
 *   COMMAND: state | kvm on|off | sol on|off | optin-start | optin-code CODE |
 *            optin-cancel | power N
 * Exit status: 0 ok, 1 AMT error (name and reason on stderr), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "amt_ops.h"

static int usage(void)
{
    fprintf(stderr, "usage: AMT_PASSWORD=... amtops-cli [-u user] [-p port] [-t ms] [--tls] "
                    "[--ca FILE] [--pin SHA256HEX] [--insecure] HOST COMMAND [ARG]\n"
                    "commands: state | kvm on|off | sol on|off | optin-start | "
                    "optin-code CODE | optin-cancel | power N\n");
    return 2;
}

static int parse_pin(const char *hex, unsigned char pin[32])
{
    size_t n = 0;
    for (const char *p = hex; *p && n < 64; p++) {
        if (*p == ':')
            continue;
        unsigned v;
        if (sscanf(p, "%1x", &v) != 1)
            return -1;
        if (n % 2 == 0)
            pin[n / 2] = (unsigned char)(v << 4);
        else
            pin[n / 2] |= (unsigned char)v;
        n++;
    }
    return n == 64 ? 0 : -1;
}

static void print_state(const amt_state *s)
{
    printf("control_mode=%s\n", s->control_mode == AMT_MODE_ACM   ? "ACM"
                                : s->control_mode == AMT_MODE_CCM ? "CCM"
                                                                  : "unknown");
    printf("kvm_available=%d\nkvm_enabled=%d\nkvm_active=%d\n", s->kvm_available,
           s->kvm_enabled, s->kvm_active);
    printf("sol_enabled=%d\nider_enabled=%d\nlistener_enabled=%d\n", s->sol_enabled,
           s->ider_enabled, s->listener_enabled);
    printf("optin_required=%u\noptin_state=%d\npower_state=%d\n", s->optin_required,
           (int)s->optin_state, s->power_state);
    printf("fw_version=%s\nmodel=%s\nmanufacturer=%s\nhostname=%s\nplatform_guid=%s\n",
           s->fw_version, s->model, s->manufacturer, s->hostname, s->platform_guid);
}

int main(int argc, char **argv)
{
    amt_device d;
    memset(&d, 0, sizeof d);
    d.user = "admin";
    d.password = getenv("AMT_PASSWORD");
    long timeout = 10000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-u") && v)
            d.user = v, i++;
        else if (!strcmp(a, "-p") && v)
            d.wsman_port = atoi(v), i++;
        else if (!strcmp(a, "-t") && v)
            timeout = atol(v), i++;
        else if (!strcmp(a, "--tls"))
            d.tls = 1;
        else if (!strcmp(a, "--ca") && v)
            d.tls_ca_file = v, d.tls = 1, i++;
        else if (!strcmp(a, "--pin") && v) {
            if (parse_pin(v, d.tls_pin) != 0)
                return usage();
            d.tls_pin_set = d.tls = 1;
            i++;
        } else if (!strcmp(a, "--insecure"))
            d.tls_insecure = d.tls = 1;
        else
            return usage();
    }
    if (argc - i < 2 || !d.password)
        return usage();
    d.host = d.name = argv[i];
    const char *cmd = argv[i + 1], *arg = argc - i > 2 ? argv[i + 2] : NULL;

    apr_initialize();
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    if (amt_ops_global_init() != AMT_OK)
        return 1;
    char err[256] = "";
    amt_client *c = amt_client_create_err(pool, &d, timeout, err, sizeof err);
    if (!c) {
        fprintf(stderr, "amtops-cli: %s\n", err);
        return 1;
    }
    uint32_t rv = 0;
    int rc, has_rv = 0;
    if (!strcmp(cmd, "state")) {
        amt_state s;
        if ((rc = amt_get_state(c, &s, err, sizeof err)) == AMT_OK)
            print_state(&s);
    } else if (!strcmp(cmd, "kvm") && arg) {
        rc = amt_set_kvm(c, !strcmp(arg, "on"), err, sizeof err);
    } else if (!strcmp(cmd, "sol") && arg) {
        rc = amt_set_sol(c, !strcmp(arg, "on"), err, sizeof err);
    } else if (!strcmp(cmd, "optin-start")) {
        rc = amt_optin_start(c, &rv, err, sizeof err), has_rv = 1;
    } else if (!strcmp(cmd, "optin-code") && arg) {
        rc = amt_optin_send_code(c, arg, &rv, err, sizeof err), has_rv = 1;
    } else if (!strcmp(cmd, "optin-cancel")) {
        rc = amt_optin_cancel(c, &rv, err, sizeof err), has_rv = 1;
    } else if (!strcmp(cmd, "power") && arg) {
        rc = amt_power_change(c, atoi(arg), &rv, err, sizeof err), has_rv = 1;
    } else {
        amt_client_destroy(c);
        return usage();
    }
    if (has_rv && (rc == AMT_OK || rc == AMT_E_RETURN_VALUE))
        printf("return_value=%u\n", rv);
    printf("calls=%lu\n", amt_client_calls(c));
    if (rc != AMT_OK)
        fprintf(stderr, "amtops-cli: %s: %s\n", amt_rc_name(rc), err);
    amt_client_destroy(c);
    apr_pool_destroy(pool);
    apr_terminate();
    return rc == AMT_OK ? 0 : 1;
}
