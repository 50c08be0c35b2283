# Each session gets a limited number of wrong consent codes (RedfishConsentAttempts 2
# in t/conf/redfish.conf.in, below the device's own lock-out, so the device is never
# locked for the suites that follow).
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
is($res->code, 429, 'third submission from this session refused, even with the right code');
like($res->header('Retry-After') // '', qr/^\d+$/, 'Retry-After');
is(RedfishClient::error_id($d), 'ServiceTemporarilyUnavailable', 'ServiceTemporarilyUnavailable');
is($rf->sim_state($CCM)->{wsman_calls}, $calls, 'the device was not asked');
is($rf->sim_state($CCM)->{optin_state}, 2, 'the code is still on the screen');

# another session has its own budget
my $op2 = $rf->login('operator');
($res, $d) = $rf->post($submit, $op2, { ConsentCode => "$code" });
is($res->code, 200, 'a fresh session submits the right code');
(undef, $d) = $rf->get("/redfish/v1/Systems/$CCM", $op2);
is($d->{Oem}{Intel}{UserConsentStatus}, 'Granted', 'Granted');
($res) = $rf->post($rf->action_path($CCM, 'CancelKVMConsent'), $op2);
is($res->code, 200, 'consent withdrawn again (clean state for later suites)');

$rf->logout_all;
$rf->validate_all;
done_testing();
