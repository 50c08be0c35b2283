#!/usr/bin/perl
# A second independent client stack for amtsim: MeshCentral's own Intel AMT
# code (npm meshcentral, loaded from node_modules by meshcentral-driver.js).
# WS-Man: what MeshCentral reads (realm, firmware, redirection/KVM/consent
# state, power) is compared with amtsim's state through amtsimctl; its
# settings sync (enable SOL/IDER + listener, enable KVM, set consent), the
# power method and the consent flow change that state; plain HTTP digest and
# TLS with MeshCentral's certificate pinning (and a wrong pin, a wrong
# password). Redirection: MeshCentral's browser code (amt-redir-ws, terminal,
# desktop) through its server's redirection interceptor: SOL both ways, KVM to
# a full frame that changes after a key press; SOL and KVM over TLS too.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use JSON::PP;
use Digest::SHA qw(sha256_hex);
use MIME::Base64 qw(decode_base64);

my $root = "$FindBin::Bin/../..";
my $driver = "$FindBin::Bin/meshcentral-driver.js";
plan skip_all => 'node not installed' unless grep { -x "$_/node" } split /:/, $ENV{PATH};
plan skip_all => 'npm meshcentral not installed (npm ci)' unless -f "$root/node_modules/meshcentral/package.json";

my $ca = AmtSim::test_ca();
my $PW = 'Mesh-C3ntral!';
my ($ID1, $H1) = ('8c3f1e52-0000-4000-8000-000000000090', '127.0.1.90');
my ($ID2, $H2) = ('8c3f1e52-0000-4000-8000-000000000091', '127.0.1.91');
my $sim = AmtSim->new(devices => [
    # everything MeshCentral's settings sync turns on starts off here
    "id=$ID1,addr=$H1,password=$PW,sol=off,ider=off,kvm=off,listener=off,consent=kvm,kvm-size=800x600,fw=15.0.45,"
        . "wsman-port=0,redir-port=0",
    "id=$ID2,addr=$H2,password=$PW,mode=ccm,tls=on,cert=$ca/server.pem,key=$ca/server-key.pem,wsman-port=0,redir-port=0",
]);
my $p1 = $sim->ports($ID1);
my $p2 = $sim->ports($ID2);
my %ctl = (sock => $sim->sock);

# The pin MeshCentral keeps for a device: SHA-256 of its certificate (DER).
open my $pem, '<', "$ca/server.pem" or die;
my ($b64) = do { local $/; <$pem> } =~ /-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----/s;
my $PIN = sha256_hex(decode_base64($b64));

sub driver {
    my ($cmd, $opts) = @_;
    my $json = JSON::PP->new->canonical->encode($opts);
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) { exec 'node', $driver, $cmd, $json or exit 127 }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    my ($line) = $out =~ /^RESULT (.*)$/m;
    diag("driver $cmd exited $? without a result:\n$out") unless $line;
    return $line ? decode_json($line) : {};
}
my %dev1 = (host => $H1, port => $p1->{wsman}, user => 'admin', pass => $PW, ctl => { %ctl, id => $ID1 });
my %dev2 = (host => $H2, port => $p2->{"wsman-tls"}, user => 'admin', pass => $PW, tls => 1, pin => $PIN, ctl => { %ctl, id => $ID2 });
my @settings = ('*AMT_GeneralSettings', '*AMT_RedirectionService', '*CIM_KVMRedirectionSAP', '*IPS_OptInService');
my $t = sub { my $v = shift; return JSON::PP::is_bool($v) ? ($v ? 'true' : 'false') : "$v" };   # MeshCentral turns "true" into a boolean

# ---- WS-Man over plain HTTP digest: what MeshCentral reads is amtsim's state
my $st = $sim->state($ID1);
my $r = driver(wsman => { %dev1, ops => [{ op => 'batch', names => \@settings }] });
my $c = $r->{steps}[0]{classes} || {};
is($r->{steps}[0]{status}, 200, 'MeshCentral BatchEnum of the settings classes: 200');
is($c->{$_}{status}, 200, "$_: 200") for qw(AMT_GeneralSettings AMT_RedirectionService CIM_KVMRedirectionSAP IPS_OptInService);
is($c->{AMT_GeneralSettings}{body}{DigestRealm}, $st->{realm}, 'DigestRealm = the realm amtsim reports');
is($r->{digestRealm}, $st->{realm}, "the digest challenge's realm equals DigestRealm (MeshCentral's realm check)");
is($r->{amtVersion}, $st->{fw}, 'firmware version from the Server: header = amtsim fw');
my $redir_state = 32768 + ($st->{ider} eq 'on' ? 1 : 0) + ($st->{sol} eq 'on' ? 2 : 0);
is($c->{AMT_RedirectionService}{body}{EnabledState}, $redir_state, "AMT_RedirectionService.EnabledState $redir_state (sol=$st->{sol}, ider=$st->{ider})");
is($t->($c->{AMT_RedirectionService}{body}{ListenerEnabled}), $st->{listener} eq 'on' ? 'true' : 'false', "ListenerEnabled (listener=$st->{listener})");
is($c->{CIM_KVMRedirectionSAP}{body}{EnabledState}, $st->{kvm} eq 'on' ? 6 : 3, "CIM_KVMRedirectionSAP.EnabledState (kvm=$st->{kvm})");
is($c->{IPS_OptInService}{body}{OptInRequired}, $st->{optin_required}, 'OptInRequired = amtsim optin_required');
is($c->{IPS_OptInService}{body}{OptInState}, $st->{optin_state}, 'OptInState = amtsim optin_state');

# ---- MeshCentral's settings sync (amtmanager.js attemptSettingsSyncResponse):
# consent to the group's policy (0), RequestStateChange(32771) then Put of the
# object it read with ListenerEnabled, KVM SAP RequestStateChange(2)
$r = driver(wsman => { %dev1, ops => [
    { op => 'batch', names => \@settings },
    { op => 'put', cls => 'IPS_OptInService', set => { OptInRequired => 0 } },
    { op => 'exec', fn => 'AMT_RedirectionService_RequestStateChange', args => [32771] },
    { op => 'put', cls => 'AMT_RedirectionService', set => { ListenerEnabled => JSON::PP::true, EnabledState => 32771 } },
    { op => 'exec', fn => 'CIM_KVMRedirectionSAP_RequestStateChange', args => [2, 0] },
    { op => 'batch', names => \@settings },
]});
my @s = @{ $r->{steps} || [] };
is($s[1]{status}, 200, 'Put IPS_OptInService (OptInRequired 0): 200');
is($s[2]{ReturnValue}, 0, 'AMT_RedirectionService.RequestStateChange(32771): 0');
is($s[3]{status}, 200, 'Put AMT_RedirectionService (the object MeshCentral read, ListenerEnabled true): 200');
is($s[4]{ReturnValue}, 0, 'CIM_KVMRedirectionSAP.RequestStateChange(2): 0');
$st = $sim->state($ID1);
is(join(' ', @$st{qw(sol ider listener kvm optin_required)}), 'on on on on 0', 'amtsim: SOL, IDER, listener, KVM on, consent not required');
$c = $s[5]{classes} || {};
is($c->{AMT_RedirectionService}{body}{EnabledState}, 32771, 'read back: EnabledState 32771');
is($t->($c->{AMT_RedirectionService}{body}{ListenerEnabled}), 'true', 'read back: ListenerEnabled true');
is($c->{CIM_KVMRedirectionSAP}{body}{EnabledState}, 6, 'read back: KVM SAP 6 (enabled, no session)');
is($c->{IPS_OptInService}{body}{OptInRequired}, 0, 'read back: OptInRequired 0');

# ---- the power method (amt.js RequestPowerStateChange, as MeshCentral's power actions)
$r = driver(wsman => { %dev1, ops => [
    { op => 'exec', fn => 'RequestPowerStateChange', args => [8] },
    { op => 'ctl', args => ['state', $ID1] },
    { op => 'batch', names => ['*CIM_AssociatedPowerManagementService'] },
    { op => 'exec', fn => 'RequestPowerStateChange', args => [2] },
]});
@s = @{ $r->{steps} || [] };
is($s[0]{ReturnValue}, 0, 'RequestPowerStateChange(8) (off): 0');
like($s[1]{out} // '', qr/^power_state=8$/m, 'amtsim: powered off');
is($s[2]{classes}{CIM_AssociatedPowerManagementService}{body}{PowerState}, 8, 'MeshCentral reads PowerState 8');
is($s[3]{ReturnValue}, 0, 'RequestPowerStateChange(2) (on): 0');
is($sim->state($ID1)->{power_state}, 2, 'amtsim: powered on again');

# ---- wrong password: MeshCentral gives up after its digest retries, nothing runs
my $before = $sim->state($ID1);
$r = driver(wsman => { %dev1, pass => 'wrong', ops => [{ op => 'batch', names => ['*AMT_GeneralSettings'] }] });
is($r->{steps}[0]{status}, 401, 'wrong password: MeshCentral reports 401');
my $after = $sim->state($ID1);
cmp_ok($after->{wsman_401}, '>', $before->{wsman_401}, 'amtsim counted the 401s');
is($after->{wsman_calls}, $before->{wsman_calls}, 'no WS-Man call was served');

# ---- SOL: the page's terminal through the server's interceptor (serverauth)
$before = $sim->state($ID1);
$r = driver(sol => { %dev1, port => $p1->{redir}, serverauth => JSON::PP::true,
    keys => "echo mesh-sol-42\r", expect => 'mesh-sol-42' });
ok($r->{open}, 'SOL: MeshCentral reaches state 3 (digest by the interceptor, 0x20/0x21 done)') or diag(explain $r);
ok($r->{banner}, 'SOL: the host banner shows in MeshCentral\'s terminal');
ok(scalar(grep { $_ eq 'mesh-sol-42' } @{ $r->{screen} || [] }), "SOL: typed command's output line in MeshCentral's terminal")
    or diag(join "\n", @{ $r->{screen} || [] });
ok(scalar(grep { index($_, $before->{id}) >= 0 } @{ $r->{screen} || [] }), 'SOL: the banner in MeshCentral\'s terminal names the device (id from amtsimctl)');
like($r->{during} // '', qr/^sol_active=1$/m, 'amtsim: SOL session active meanwhile');
like(scalar $sim->ctl('screen', $ID1), qr/^mesh-sol-42$/m, 'amtsim host screen has the command output');
ok($sim->idle($ID1), 'SOL session closed when MeshCentral stops');
$after = $sim->state($ID1);
is($after->{redir_sessions} - $before->{redir_sessions}, 1, 'one redirection session');
is($after->{redir_auth_fail}, $before->{redir_auth_fail}, 'no failed redirection login');

# wrong stored password: the interceptor's digest is refused, nothing opens
$r = driver(sol => { %dev1, port => $p1->{redir}, pass => 'wrong', serverauth => JSON::PP::true, timeout => 3000 });
ok(!$r->{open}, 'SOL with a wrong password: no session');
is($sim->state($ID1)->{redir_auth_fail} - $after->{redir_auth_fail}, 1, 'amtsim counted the failed redirection login');

# ---- KVM: the page's desktop, the browser doing the digest itself
$sim->idle($ID1);
$r = driver(kvm => { %dev1, port => $p1->{redir}, serverauth => JSON::PP::false, key => 'x' });
ok($r->{open}, 'KVM: MeshCentral reaches state 3 (0x40/0x41, RFB handshake, ServerInit)') or diag(explain $r);
is(($r->{width} // '?') . 'x' . ($r->{height} // '?'), $sim->state($ID1)->{kvm_size}, 'KVM: ServerInit size = amtsim kvm_size');
ok($r->{fullFrame}, 'KVM: a framebuffer update covers every pixel of the canvas');
like($sim->logtext, qr/RFB SetEncodings: ZRLE \+DesktopSize/, 'KVM: MeshCentral asked for ZRLE first, so that frame was ZRLE (16 bpp)');
cmp_ok($r->{colours} // 0, '>', 1, 'KVM: the frame is a picture (more than one colour)');
ok($r->{changedAfterKey}, 'KVM: a key sent by MeshCentral changes the next frame');
like($r->{during} // '', qr/^kvm_active=1$/m, 'amtsim: KVM session active meanwhile');
like(scalar $sim->ctl('screen', $ID1), qr/x\s*$/m, 'amtsim host console received the key');
ok($sim->idle($ID1), 'KVM session closed when MeshCentral stops');

# ---- TLS (CCM device): MeshCentral's pinning, then the consent flow
$st = $sim->state($ID2);
$r = driver(wsman => { %dev2, ops => [{ op => 'batch', names => ['*AMT_GeneralSettings', '*IPS_OptInService'] }] });
is($r->{steps}[0]{status}, 200, 'TLS: BatchEnum 200 with the certificate pinned');
is($r->{xtlsCheck}, 2, 'TLS: MeshCentral reports the certificate as pinned (2)');
is($r->{peerSha256}, $PIN, "TLS: the device's certificate is the test CA's server certificate");
is($r->{steps}[0]{classes}{AMT_GeneralSettings}{body}{DigestRealm}, $st->{realm}, 'TLS: DigestRealm = amtsim realm');
is($r->{steps}[0]{classes}{IPS_OptInService}{body}{OptInRequired}, $st->{optin_required}, 'TLS: OptInRequired (CCM: all)');

$before = $sim->state($ID2);
$r = driver(wsman => { %dev2, pin => 'ab' x 32, opTimeout => 3000, ops => [{ op => 'batch', names => ['*AMT_GeneralSettings'] }] });
is($r->{failAllError}, 998, 'TLS with a wrong pin: MeshCentral fails the connection (998, certificate check)');
ok($r->{steps}[0]{silent}, 'wrong pin: the call gets no answer (MeshCentral drops it)');
is($sim->state($ID2)->{wsman_calls}, $before->{wsman_calls}, 'wrong pin: nothing was sent to the device');

# consent-mode=refuse: MeshCentral's handling of a refusal at the session start
# (real AMT opens SOL without consent; 11-consent-inband.t tests that default)
$sim->ctl('fault', $ID2, 'consent-mode=refuse');
$r = driver(sol => { %dev2, port => $p2->{"redir-tls"}, serverauth => JSON::PP::true, timeout => 3000 });
ok(!$r->{open}, 'CCM: SOL refused before consent');

$r = driver(wsman => { %dev2, ops => [
    { op => 'exec', fn => 'IPS_OptInService_StartOptIn' },
    { op => 'ctl', args => ['state', $ID2] },
    { op => 'optin-code', wrong => JSON::PP::true },
    { op => 'optin-code' },
    { op => 'batch', names => ['*IPS_OptInService'] },
]});
@s = @{ $r->{steps} || [] };
is($s[0]{ReturnValue}, 0, 'StartOptIn: 0');
like($s[1]{out} // '', qr/^optin_state=2$/m, 'amtsim: code displayed (OptInState 2)');
is($s[2]{ReturnValue}, 2066, 'SendOptInCode with a wrong code: 2066');
is($s[3]{ReturnValue}, 0, 'SendOptInCode with the code from the screen: 0');
is($s[4]{classes}{IPS_OptInService}{body}{OptInState}, 3, 'MeshCentral reads OptInState 3 (RECEIVED)');
is($sim->state($ID2)->{optin_state}, 3, 'amtsim: OptInState 3');

$r = driver(sol => { %dev2, port => $p2->{"redir-tls"}, serverauth => JSON::PP::true, keys => "echo tls-sol-91\r", expect => 'tls-sol-91' });
ok($r->{open}, 'TLS SOL after consent: MeshCentral reaches state 3') or diag(explain $r);
ok(scalar(grep { $_ eq 'tls-sol-91' } @{ $r->{screen} || [] }), 'TLS SOL: command output in MeshCentral\'s terminal');
like($r->{during} // '', qr/^optin_state=4$/m, 'amtsim: OptInState 4 (IN SESSION) meanwhile');
ok($sim->idle($ID2), 'TLS SOL session closed');

# KVM over TLS on the consented CCM device, the page doing the digest itself
$r = driver(kvm => { %dev2, port => $p2->{"redir-tls"}, serverauth => JSON::PP::false });
ok($r->{open}, 'TLS KVM after consent: MeshCentral reaches state 3') or diag(explain $r);
is(($r->{width} // '?') . 'x' . ($r->{height} // '?'), $sim->state($ID2)->{kvm_size}, 'TLS KVM: ServerInit size = amtsim kvm_size');
ok($r->{fullFrame}, 'TLS KVM: a full frame');
ok($sim->idle($ID2), 'TLS KVM session closed');

is($sim->stop, 0, 'amtsim exits cleanly');
done_testing;
