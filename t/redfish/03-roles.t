# AccountService and Roles (privileges as in the DMTF privilege registry), and
# role enforcement everywhere: ReadOnly reads but cannot PATCH, consent, reset or
# get tokens.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient qw();

my $rf = RedfishClient->new;
my $reader = $rf->login('reader');
my $op = $rf->login('operator');
my $acm = $RedfishClient::ACM;

my ($res, $d) = $rf->get('/redfish/v1/AccountService', $reader);
is($res->code, 200, 'AccountService');
is($d->{Roles}{'@odata.id'}, '/redfish/v1/AccountService/Roles', 'links Roles');
($res, $d) = $rf->get('/redfish/v1/AccountService/Roles', $reader);
is_deeply([sort map { $_->{'@odata.id'} } @{ $d->{Members} }],
          [map {"/redfish/v1/AccountService/Roles/$_"} qw(Administrator Operator ReadOnly)],
          'the three predefined roles');
my %want = (
    Administrator => [qw(ConfigureComponents ConfigureManager ConfigureSelf ConfigureUsers Login)],
    Operator      => [qw(ConfigureComponents ConfigureSelf Login)],
    ReadOnly      => [qw(ConfigureSelf Login)],
);
for my $role (sort keys %want) {
    ($res, $d) = $rf->get("/redfish/v1/AccountService/Roles/$role", $reader);
    is($res->code, 200, "Role $role");
    is_deeply([sort @{ $d->{AssignedPrivileges} }], $want{$role}, "$role privileges");
    ok($d->{IsPredefined}, "$role is predefined");
}
($res) = $rf->get('/redfish/v1/AccountService/Roles/Root', $reader);
is($res->code, 404, 'unknown role -> 404');
($res) = $rf->patch('/redfish/v1/AccountService', $reader, { ServiceEnabled => JSON::PP::false });
is($res->code, 405, 'AccountService is read-only here');

# ReadOnly reads ...
for my $p ("/redfish/v1/Systems", "/redfish/v1/Systems/$acm", "/redfish/v1/Managers/$acm") {
    ($res) = $rf->get($p, $reader);
    is($res->code, 200, "reader GET $p");
}
# ... but changes nothing
my @denied = (
    [PATCH => "/redfish/v1/Systems/$acm", { GraphicalConsole => { ServiceEnabled => JSON::PP::false } }],
    [POST => $rf->action_path($acm, 'Reset'), { ResetType => 'ForceRestart' }],
    [POST => $rf->action_path($acm, 'RequestKVMConsent'), {}],
    [POST => $rf->action_path($acm, 'SubmitKVMConsentCode'), { ConsentCode => '123456' }],
    [POST => $rf->action_path($acm, 'CancelSOLConsent'), {}],
    [POST => $rf->action_path($acm, 'GenerateRedirectionToken'), { Mode => 'KVM' }],
    [PATCH => '/redfish/v1/SessionService', { SessionTimeout => 300 }],
);

for my $c (@denied) {
    ($res, $d) = $rf->request($c->[0] => $c->[1], token => $reader, body => $c->[2]);
    is($res->code, 403, "reader $c->[0] $c->[1] -> 403");
    is(RedfishClient::error_id($d), 'InsufficientPrivilege', 'InsufficientPrivilege');
}
# the operator cannot manage the service either
($res, $d) = $rf->patch('/redfish/v1/SessionService', $op, { SessionTimeout => 300 });
is($res->code, 403, 'operator cannot PATCH SessionService');

$rf->logout_all;
$rf->validate_all;
done_testing();
