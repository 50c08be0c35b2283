/* amtsim entry point: command line, device set-up, run, clean exit. */
#include "amtsim.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>

struct sim g_sim;
volatile int g_stop;

static void usage(FILE *f)
{
    fputs(
"usage: amtsim [options]\n"
"Simulates one or more Intel AMT devices: WS-Man (16992/16993) and the\n"
"redirection protocol (SOL, KVM; 16994/16995) on loopback addresses.\n"
"Runs in the foreground; SIGTERM/SIGINT exit cleanly.\n"
"\n"
"options:\n"
"  --device SPEC     add a device (repeatable); SPEC = key=value,key=value,...\n"
"  --config FILE     add the devices in FILE: one SPEC per line, '#' comments\n"
"  --control PATH    UNIX socket for the control channel (see amtsimctl)\n"
"  --ready-file FILE written once every listener is bound: one line per device\n"
"                    '<id> <addr> wsman=P redir=P wsman-tls=P redir-tls=P' (0 = none)\n"
"  --pid-file FILE   write the process id\n"
"  --verbose, -v     log connections and protocol events to stderr\n"
"  --help, -h        this text\n"
"\n"
"device keys (defaults in brackets):\n"
"  id=UUID           platform GUID as a UUID string (required)\n"
"  addr=IPv4         address to bind, e.g. 127.0.1.2 (required)\n"
"  mode=acm|ccm      control mode [acm]; ccm forces consent=all\n"
"  consent=none|kvm|all  IPS_OptInService.OptInRequired [none]\n"
"  user=NAME password=PW  digest credentials [admin / P@ssw0rd]\n"
"  tls=off|on|both   on: TLS only (16993/16995); both: plain and TLS [off]\n"
"  cert=PEM key=PEM  server certificate chain and key (needed for tls)\n"
"  tls-max=1.0|1.1|1.2|1.3  highest TLS version, e.g. 1.1 as AMT 9-11.8 [OpenSSL's]\n"
"  tls-ciphers=LIST  TLS <= 1.2 cipher list, e.g. AES128-SHA (security level 0)\n"
"  wsman-port=N redir-port=N  ports (with tls=on they set the TLS ports;\n"
"                    0 = any free port, see --ready-file)\n"
"  wsman-tls-port=N redir-tls-port=N  TLS ports with tls=both\n"
"  power=on|off      initial power state [on]\n"
"  kvm=on|off        CIM_KVMRedirectionSAP enabled [on]\n"
"  sol=on|off ider=on|off  AMT_RedirectionService EnabledState bits [on]\n"
"  listener=on|off   AMT_RedirectionService.ListenerEnabled [on]\n"
"  fw=VERSION        firmware version [16.1.27]   model=TEXT  CIM_Chassis.Model\n"
"  display-timeout=S OptInDisplayTimeout [300]   code-timeout=S OptInCodeTimeout [120]\n"
"  max-failures=N    wrong consent codes before lock-out [3]\n"
"  lockout=S         StartOptIn returns 3 (blocked) for S seconds after lock-out [60]\n"
"  session-timeout=M KVM idle close, minutes, 0 = never [3]\n"
"  replay=DIR        answer WS-Man from recorded AMT replies listed in DIR/index\n"
"                    (RelatesTo set to the request's MessageID; unlisted: a fault)\n"
"  plus every knob below, e.g. wsman-latency=200\n"
"\n"
"knobs (also at run time: amtsimctl SOCK fault ID key=value):\n"
"  wsman-latency=MS  delay before each WS-Man answer\n"
"  wsman-max-conn=N  reset WS-Man connections beyond N concurrent (0 = no cap)\n"
"  drop-after=BYTES  cut a redirection stream after BYTES sent by the device\n"
"  busy=on|off       refuse every redirection session with status BUSY (2)\n"
"  slow-reader=on|off read client data in small, delayed chunks\n"
"  sol-bulk=on|off   SOL: host prints continuously (throughput tests)\n"
"  kvm-bulk=on|off   KVM: the screen changes every frame\n"
"  down=on|off       stop accepting and answering (unreachable device)\n"
"  plain-auth=on|off|only  offer redirection auth type 1 (username/password) [off];\n"
"                    Debian's amtterm 1.4 needs on; only = offer nothing else\n"
"                    (a downgrade, as a man in the middle would do)\n"
"  consent-status=N  0x11 status when consent is missing [3]\n"
"  consent-mode=inband|refuse  missing consent: KVM shows AMT's code form, SOL opens\n"
"                    (inband, as AMT); or the session start is refused (refuse) [inband]\n"
"  power-during-redir=defer|reject|ignore|allow  power changes other than\n"
"                    on/reset/NMI while a redirection session is open: answered\n"
"                    0 and done when the last session ends / refused (6) /\n"
"                    answered 0 and dropped / done at once [defer]\n"
"                    (power-busy=on|off: older spelling of reject|allow)\n"
"  kvm-size=WxH      KVM framebuffer size (change -> DesktopSize) [720x400]\n"
"  sol-ping=MS       SOL: AMT sends its own 0x24 keep-alive every MS ms [0 = never]\n"
"  kvm-coalesce=on|off  KVM: 0x41 and \"RFB 004.000\\n\" in one write [off]\n"
"  kvm-name=TEXT     RFB ServerInit name, '_' for a blank [Intel(r)_AMT_KVM]\n"
"  rfb-security=T[+T...]  RFB security types offered (only 1 = None works) [1]\n"
"\n"
"See t/amtsim/README.md for the protocol details and UNCONFIRMED choices.\n",
        f);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "device", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'c' },
        { "control", required_argument, NULL, 'C' },
        { "ready-file", required_argument, NULL, 'r' },
        { "pid-file", required_argument, NULL, 'p' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o, rc = 0;
    char err[512];
    xmlInitParser();
    while (!rc && (o = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (o) {
        case 'd': {
            if (g_sim.ndev >= AMTSIM_MAX_DEVICES) {
                fprintf(stderr, "amtsim: too many devices\n");
                rc = 2;
                break;
            }
            struct device *d = device_new();
            err[0] = 0;
            if (!d || device_parse(d, optarg, err, sizeof err) || device_finish(d, err, sizeof err)) {
                fprintf(stderr, "amtsim: --device %s: %s\n", optarg, err);
                device_free(d);
                rc = 2;
                break;
            }
            g_sim.dev[g_sim.ndev++] = d;
            break;
        }
        case 'c':
            if (config_load(optarg, err, sizeof err)) {
                fprintf(stderr, "amtsim: %s\n", err);
                rc = 2;
            }
            break;
        case 'C': g_sim.control_path = optarg; break;
        case 'r': g_sim.ready_file = optarg; break;
        case 'p': g_sim.pid_file = optarg; break;
        case 'v': g_sim.verbose++; break;
        case 'h': usage(stdout); rc = -1; break;
        default: usage(stderr); rc = 2;
        }
    }
    if (!rc && optind < argc) {
        fprintf(stderr, "amtsim: unexpected argument '%s'\n", argv[optind]);
        rc = 2;
    }
    if (!rc && g_sim.ndev == 0) {
        fprintf(stderr, "amtsim: no device (use --device or --config; --help)\n");
        rc = 2;
    }
    if (!rc)
        rc = server_run();
    for (int i = 0; i < g_sim.ndev; i++)
        device_free(g_sim.dev[i]);
    xmlCleanupParser();
    return rc < 0 ? 0 : rc;
}
