# The code on a device's screen gets a limited number of wrong guesses, whatever the
# session (RedfishConsentAttempts 2 in t/conf/redfish.conf.in, below the device's own
# lock-out, so the device is never locked for the suites that follow); only the
# session that requested the code may submit it.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
my $CCM = $RedfishClient::CCM;
my $op = $rf->login('operator');
my $submit = $rf->action_path($CCM, 'SubmitKVMConsentCode');

$rf->post($rf->action_path($CCM, 'CancelKVMConsent'), $op, {}, no_validate => 1);    # clean start
$rf->patch("/redfish/v1/Systems/$CCM", $op, { GraphicalConsole => { ServiceEnabled => JSON::PP::true } });
my ($res, $d) = $rf->post($rf->action_path($CCM, 'RequestKVMConsent'), $op);
is($res->code, 200, 'consent requested');
my $code = $rf->simctl('code', $CCM);
like($code, qr/^\d{6}$/, 'code shown');
my $wrong = sprintf '%06d', ($code + 500000) % 1000000;
for my $n (1 .. 2) {
    ($res, $d) = $rf->post($submit, $op, { ConsentCode => $wrong });
    is($res->code, 400, "wrong code $n -> 400");
    is(RedfishClient::error_id($d), 'ActionParameterValueError', "  ActionParameterValueError");
}
my $calls = $rf->sim_state($CCM)->{wsman_calls};
($res, $d) = $rf->post($submit, $op, { ConsentCode => "$code" });
is($res->code, 429, 'third submission refused, even with the right code');
like($res->header('Retry-After') // '', qr/^\d+$/, 'Retry-After');
is(RedfishClient::error_id($d), 'ServiceTemporarilyUnavailable', 'ServiceTemporarilyUnavailable');
is($rf->sim_state($CCM)->{wsman_calls}, $calls, 'the device was not asked');
is($rf->sim_state($CCM)->{optin_state}, 2, 'the code is still on the screen');

# a new session of the same user gets no fresh budget: the code was not its request
my $op2 = $rf->login('operator');
($res, $d) = $rf->post($submit, $op2, { ConsentCode => "$code" });
is($res->code, 403, 'a fresh session cannot submit the code another session requested');
is($rf->sim_state($CCM)->{wsman_calls}, $calls, 'the device was still not asked');
(undef, $d) = $rf->get("/redfish/v1/Systems/$CCM", $op2);
is($d->{Oem}{Intel}{UserConsentStatus}, 'Requested', 'still Requested');
($res) = $rf->post($rf->action_path($CCM, 'CancelKVMConsent'), $op);
is($res->code, 200, 'the requester withdraws it (clean state for later suites)');

# ---- the device's own lock-out: after too many wrong codes AMT refuses StartOptIn
#      (ReturnValue 3) for a while. Made short (max-failures=1, lockout=4 s) for this
#      test only, then put back, so the device is not locked for later suites. ----
my $out = $rf->simctl('fault', $CCM, 'max-failures=1', 'lockout=4');
is($?, 0, 'device lock-out made short (1 wrong code, 4 s)') or diag $out;
my $op3 = $rf->login('operator');
($res) = $rf->post($rf->action_path($CCM, 'RequestKVMConsent'), $op3);
is($res->code, 200, 'consent requested again');
$code = $rf->simctl('code', $CCM);
$wrong = sprintf '%06d', ($code + 500000) % 1000000;
($res, $d) = $rf->post($submit, $op3, { ConsentCode => $wrong });
is($res->code, 400, 'one wrong code -> 400 (and the device locks out)');
my $locked_at = time;
is($rf->sim_state($CCM)->{optin_state}, 0, 'the device dropped the code');
($res, $d) = $rf->post($rf->action_path($CCM, 'RequestKVMConsent'), $op3);
is($res->code, 429, 'asking again while the device is locked out -> 429');
like($res->header('Retry-After') // '', qr/^[1-9]\d*$/, 'with Retry-After');
is(RedfishClient::error_id($d), 'ServiceTemporarilyUnavailable', 'ServiceTemporarilyUnavailable');
sleep 1 while time - $locked_at < 5;
# the pause is as long as the server's KeepAliveTimeout: a reused connection could be
# closed under the request (LWP then makes up a 500), so start a fresh one
$rf->{ua}->conn_cache->drop;
($res) = $rf->post($rf->action_path($CCM, 'RequestKVMConsent'), $op3);
is($res->code, 200, 'after the lock-out the device takes a request again');
($res) = $rf->post($rf->action_path($CCM, 'CancelKVMConsent'), $op3);
is($res->code, 200, 'and it is cancelled (clean state)');
$out = $rf->simctl('fault', $CCM, 'max-failures=3', 'lockout=60');
is($?, 0, 'device lock-out policy put back') or diag $out;

$rf->logout_all;
$rf->validate_all;
done_testing();
