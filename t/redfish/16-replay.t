# The whole product against replies recorded from real AMT firmware: the harness's
# device 55e3ae13-bfd2-61bb-17a0-88aedd7037ea is amtsim in replay mode (t/vectors/replay, see
# docs/test-vectors.md), so every WS-Man answer below is a capture, byte for byte except
# RelatesTo. GET shows what the captures say; PATCH, consent and Reset get the captured
# method replies; whatever was never captured gets a fault that the product must turn
# into a clear Redfish error. Every JSON body is validated against the DMTF schemas.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $REPLAY = '55e3ae13-bfd2-61bb-17a0-88aedd7037ea';
my $rf = RedfishClient->new;
my $op = $rf->login('operator');
my $sys = "/redfish/v1/Systems/$REPLAY";

sub sim { $rf->sim_state($REPLAY) }
$rf->simctl('reset-stats', $REPLAY);

# --- GET: the values of the captures ------------------------------------------------------
my ($res, $d) = $rf->get($sys, $op);
is($res->code, 200, 'GET the replayed system') or diag $res->content;
my $st = sim();
is($st->{replay_misses}, 0, 'every request of the state read had a recorded reply')
    or diag "last unrecorded: $st->{replay_last_miss}";
cmp_ok($st->{replay_hits}, '>=', 9, "... 9 exchanges answered from captures ($st->{replay_hits})");
is($d->{Id}, $REPLAY, 'Id');
is($d->{Model}, 'NUC9V7QNX', 'Model from CIM_Chassis (captured on a NUC 9)');
is($d->{Manufacturer}, 'Intel(R) Client Systems', 'Manufacturer from CIM_Chassis');
ok(!exists $d->{HostName}, 'the capture has an empty AMT HostName: no HostName property');
is($d->{PowerState}, 'On', 'PowerState 2 from the captured Pull -> On');
is($d->{SerialConsole}{WebSocket}{ServiceEnabled}, JSON::PP::true,
   'EnabledState 32771 + ListenerEnabled true -> SOL enabled');
is($d->{GraphicalConsole}{ServiceEnabled}, JSON::PP::true, 'KVM SAP EnabledState 6 -> KVM enabled');
is_deeply($d->{GraphicalConsole}{ConnectTypesSupported}, ['KVMIP'], 'KVM present on this platform');
is($d->{Oem}{Intel}{ControlMode}, 'ACM', 'ProvisioningMode 1 -> ACM');
is($d->{Oem}{Intel}{UserConsentStatus}, 'NotRequired', 'OptInRequired 0 -> consent NotRequired');
is($d->{Oem}{Intel}{KVMStatus}, 'Enabled', 'KVMStatus: enabled, no session (SAP 6, not 2)');
ok(!exists $d->{Oem}{Intel}{ModernStandby},
   'IPS_PowerManagementService answered with the captured DestinationUnreachable: no ModernStandby');

($res, $d) = $rf->get("/redfish/v1/Managers/$REPLAY", $op);
is($res->code, 200, 'GET its Manager');
is($d->{FirmwareVersion}, '15.0.23.1706', 'FirmwareVersion from the Server header');

# --- PATCH ----------------------------------------------------------------------------------
# SOL off: one captured Get, then the captured RequestStateChange (ReturnValue 0). Replay
# keeps no state, so the device still reads "enabled" afterwards.
$rf->simctl('reset-stats', $REPLAY);
($res, $d) = $rf->patch($sys, $op, { SerialConsole => { WebSocket => { ServiceEnabled => JSON::PP::false } } });
ok($res->code == 200 || $res->code == 204, 'PATCH SOL off: the captured RequestStateChange (0) is success')
    or diag $res->content;
$st = sim();
is($st->{replay_misses}, 0, '... every exchange had a recorded reply') or diag $st->{replay_last_miss};
cmp_ok($st->{replay_hits}, '>=', 2, '... the Get and the RequestStateChange');

# KVM: no capture of CIM_KVMRedirectionSAP.RequestStateChange exists, so the device answers
# with a fault; the product must say the operation failed and not claim success.
$rf->simctl('reset-stats', $REPLAY);
($res, $d) = $rf->patch($sys, $op, { GraphicalConsole => { ServiceEnabled => JSON::PP::false } });
is($res->code, 502, 'PATCH KVM off with an unrecorded method: 502 (the device failed it)')
    or diag $res->content;
is(RedfishClient::error_id($d), 'OperationFailed', 'OperationFailed');
$st = sim();
is($st->{replay_misses}, 1, '... exactly the one unrecorded exchange');
is($st->{replay_last_miss}, 'CIM_KVMRedirectionSAP/RequestStateChange', '... the KVM SAP RequestStateChange');

# --- consent ----------------------------------------------------------------------------------
# The captured state is ACM with OptInRequired 0: the product must not ask AMT for consent.
$rf->simctl('reset-stats', $REPLAY);
for my $a (['RequestKVMConsent', undef], ['SubmitKVMConsentCode', { ConsentCode => '123456' }],
           ['CancelKVMConsent', undef]) {
    ($res, $d) = $rf->post($rf->action_path($REPLAY, $a->[0]), $op, $a->[1]);
    is($res->code, 400, "$a->[0]: refused, consent is not required on this device");
    is(RedfishClient::error_id($d), 'ActionNotSupported', "$a->[0]: ActionNotSupported");
}
$st = sim();
is($st->{replay_misses}, 0, 'no consent method reached the device');
# The product's consent calls themselves, against the captured StartOptIn/SendOptInCode/
# CancelOptIn replies (ReturnValue 2: nothing pending), through amt_ops (amtops-cli).
my $cli = "$ENV{RFAMT_BUILDDIR}/t/tools/amtops-cli";
SKIP: {
    skip 'amtops-cli not built', 6 unless -x $cli;
    local $ENV{AMT_PASSWORD} = 'P@ssw0rd-replay-20';
    for my $c (['optin-start', 'StartOptIn'], ['optin-code 123456', 'SendOptInCode'],
               ['optin-cancel', 'CancelOptIn']) {
        my $out = `$cli -t 5000 127.0.0.20 $c->[0] 2>&1`;
        like($out, qr/return_value=2\b/, "$c->[1]: the captured ReturnValue 2") or diag $out;
        like($out, qr/\Q$c->[1]\E returned 2 \(invalid state\)/, "$c->[1]: read as 'invalid state'");
    }
}

# --- Reset ----------------------------------------------------------------------------------
$rf->simctl('reset-stats', $REPLAY);
($res, $d) = $rf->post($rf->action_path($REPLAY, 'Reset'), $op, { ResetType => 'ForceRestart' });
is($res->code, 200, 'Reset ForceRestart: the captured RequestPowerStateChange (0) is success')
    or diag $res->content;
$st = sim();
is($st->{replay_misses}, 0, '... answered from a capture');
cmp_ok($st->{replay_hits}, '>=', 1, '... the RequestPowerStateChange');

$rf->logout_all;
$rf->validate_all;
done_testing;
