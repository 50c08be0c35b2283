# WS-Man behaviours of real AMT firmware (docs/real-hardware-wsman.md), each simulated
# by an amtsim knob on device 40 (127.0.0.40) and flipped live: absent classes, Modern
# Standby, faults sent with HTTP 500, bodiless 400s, a bare "AMT" Server header, empty
# host names, a slow device while powered off, and an address that leads to another
# machine (PlatformGUID != SystemId).
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP ();
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
my $ID = '8c3f1e52-0000-4000-8000-000000000040';
my $path = "/redfish/v1/Systems/$ID";
my $op = $rf->login('operator');
my $TTL = 2.2;    # RedfishStateCacheTTL 2000 ms in t/conf/redfish.conf.in
my ($res, $d);

sub knobs { my $out = $rf->simctl('fault', $ID, @_); is($?, 0, "knobs @_") or diag $out; sleep $TTL }
sub calls { $rf->sim_state($ID)->{wsman_calls} }
my $errlog = Apache::Test::vars('t_logs') . '/error_log';
sub log_size { -s $errlog // 0 }
sub log_since { my $from = shift; open my $f, '<', $errlog or return ''; seek $f, $from, 0; local $/; <$f> // '' }

($res, $d) = $rf->get($path, $op);
is($res->code, 200, 'device 40 answers');
is($d->{Oem}{Intel}{ModernStandby}, JSON::PP::false, 'full power: ModernStandby false');
is($d->{HostName}, 'amtsim-8c3f1e52', 'HostName from AMT_GeneralSettings');
like($d->{Oem}{Intel}{UserConsentStatus}, qr/^NotRequired$/, 'consent service present, not required');

# ---- R6: absent classes degrade their feature only --------------------------------
knobs('absent=IPS_OptInService+CIM_KVMRedirectionSAP+IPS_KVMRedirectionSettingData');
($res, $d) = $rf->get($path, $op);
is($res->code, 200, 'GET still works with consent and KVM classes absent');
is($d->{Oem}{Intel}{UserConsentStatus}, 'NotApplicable', 'consent NotApplicable');
is($d->{GraphicalConsole}{ServiceEnabled}, JSON::PP::false, 'KVM not enabled');
is_deeply($d->{GraphicalConsole}{ConnectTypesSupported}, [], 'KVM not offered');
($res, $d) = $rf->post($rf->action_path($ID, 'RequestKVMConsent'), $op);
is($res->code, 400, 'consent action on a system without a consent service -> 400');
is(RedfishClient::error_id($d), 'ActionNotSupported', '  ActionNotSupported');
($res, $d) = $rf->patch($path, $op, { GraphicalConsole => { ServiceEnabled => JSON::PP::true } });
is($res->code, 400, 'PATCH enabling absent KVM refused');
is(RedfishClient::error_id($d), 'PropertyValueNotInList', '  PropertyValueNotInList');

# ---- R8: the same faults with HTTP 500 (charset without a space) -------------------
knobs('fault-http=500');
($res, $d) = $rf->get($path, $op);
is($res->code, 200, 'faults sent as HTTP 500: absent classes still tolerated');
is($d->{Oem}{Intel}{UserConsentStatus}, 'NotApplicable', '  consent NotApplicable');
knobs('fault-http=400', 'absent=none');
($res, $d) = $rf->get($path, $op);
is($d->{Oem}{Intel}{UserConsentStatus}, 'NotRequired', 'classes back: consent NotRequired');

# ---- R8: a bodiless 400 is transient: 503 + Retry-After, then the next one works ----
my $n = calls();
knobs('empty-400=' . 1);    # every request
($res, $d) = $rf->get($path, $op);
is($res->code, 503, 'bodiless 400 -> 503');
like($res->header('Retry-After') // '', qr/^[1-9]\d*$/, '  with Retry-After');
is(RedfishClient::error_id($d), 'ServiceTemporarilyUnavailable', '  ServiceTemporarilyUnavailable');
$rf->simctl('fault', $ID, 'empty-400=0');
($res) = $rf->get($path, $op);
is($res->code, 200, 'the very next request works (a transient failure is not remembered)');

# ---- R11: Server header without a version (empty HostName: test_amt_ops_live, since
#      the identity fields are read once) --------------------------------------------
knobs('server-header=AMT');
($res, $d) = $rf->get($path, $op);
is($res->code, 200, 'Server: AMT (no version): GET works');
knobs('server-header=full');

# ---- R5: Modern Standby ------------------------------------------------------------
knobs('os-power-saving=on');
($res, $d) = $rf->get($path, $op);
is($d->{PowerState}, 'On', 'Modern Standby: PowerState stays On');
is($d->{Oem}{Intel}{ModernStandby}, JSON::PP::true, '  Oem.Intel.ModernStandby true');
($res, $d) = $rf->post($rf->action_path($ID, 'Reset'), $op, { ResetType => 'On' });
is($res->code, 200, 'Reset On accepted');
is($rf->sim_state($ID)->{os_power_saving}, 0, '  the host woke (RequestOSPowerSavingStateChange(2))');
($res, $d) = $rf->get($path, $op);
is($d->{Oem}{Intel}{ModernStandby}, JSON::PP::false, '  ModernStandby false again');

# ---- Identity: the address now leads to another machine --------------------------
for my $case (['8c3f1e52-0000-4000-8000-000000000041', 'mismatch'],
              ['03000200-0400-0500-0006-000700080009', 'placeholder']) {
    my ($guid, $word) = @$case;
    my $from = log_size();
    knobs("guid=$guid");
    ($res, $d) = $rf->get($path, $op);
    is($res->code, 503, "$word: GET -> 503");
    like($d->{error}{message} // '', qr/Identity mismatch.*127\.0\.0\.40/, '  the error names the mismatch');
    like(log_since($from), qr/is not this system: identity \Q$word\E: the device reports platform GUID \Q$guid\E/,
         '  error log names it');
    my $st = $rf->sim_state($ID);
    ($res) = $rf->post($rf->action_path($ID, 'Reset'), $op, { ResetType => 'ForceOff' });
    is($res->code, 503, '  Reset refused');
    is($rf->sim_state($ID)->{power_state}, 2, '  ... and the machine was not touched');
    ($res) = $rf->patch($path, $op, { SerialConsole => { WebSocket => { ServiceEnabled => JSON::PP::false } } });
    is($res->code, 503, '  PATCH refused');
    is($rf->sim_state($ID)->{sol}, 'on', '  ... SOL untouched');
    ($res, $d) = $rf->post($rf->action_path($ID, 'GenerateRedirectionToken'), $op, { Mode => 'SOL' });
    is($res->code, 503, '  no redirection token');
    ok(!$d->{RedirectionToken}, '  ... none in the body');
}
knobs("guid=$ID");
($res) = $rf->get($path, $op);
is($res->code, 200, 'right machine again: GET works');

# ---- R10: slow while powered off ----------------------------------------------------
$rf->simctl('power', $ID, 'off');
knobs('latency-off=1500');
my ($t) = RedfishClient::elapsed { ($res, $d) = $rf->get($path, $op) };
is($res->code, 200, sprintf('powered off, 1.5 s per exchange: GET succeeds (%.1f s)', $t));
is($d->{PowerState}, 'Off', '  PowerState Off');
ok($t >= 6, '  the latency was really applied');
knobs('latency-off=0');
$rf->simctl('power', $ID, 'on');

$rf->logout_all;
$rf->validate_all;
done_testing();
