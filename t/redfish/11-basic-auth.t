# HTTP Basic: refused over plain HTTP by default (02-sessions.t), accepted where
# RedfishAllowBasicOverHTTP is on, with the same roles as sessions.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Apache::TestRequest ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
Apache::TestRequest::module('redfish_basic');
$rf->{base} = 'http://' . Apache::TestRequest::hostport();
Apache::TestRequest::module('default');
my ($ACM) = $RedfishClient::ACM;

my ($res, $d) = $rf->get('/redfish/v1/Systems', undef, basic => ['reader', 'reader-pw']);
is($res->code, 200, 'Basic accepted where RedfishAllowBasicOverHTTP is on');
($res, $d) = $rf->get('/redfish/v1/Systems', undef, basic => ['reader', 'nope']);
is($res->code, 401, 'wrong Basic password -> 401');
like($res->header('WWW-Authenticate') // '', qr/^Basic /, 'WWW-Authenticate: Basic');
($res, $d) = $rf->get('/redfish/v1/Systems', undef, basic => ['ghost', 'x']);
is($res->code, 401, 'unknown Basic user -> 401');
($res, $d) = $rf->patch("/redfish/v1/Systems/$ACM", undef,
                        { GraphicalConsole => { ServiceEnabled => JSON::PP::true } }, basic => ['reader', 'reader-pw']);
is($res->code, 403, 'Basic reader cannot PATCH');
is(RedfishClient::error_id($d), 'InsufficientPrivilege', 'InsufficientPrivilege');
($res, $d) = $rf->patch("/redfish/v1/Systems/$ACM", undef,
                        { GraphicalConsole => { ServiceEnabled => JSON::PP::true } }, basic => ['operator', 'operator-pw']);
is($res->code, 200, 'Basic operator may PATCH');
($res, $d) = $rf->post($rf->action_path($ACM, 'GenerateRedirectionToken'), undef, { Mode => 'KVM' },
                       basic => ['operator', 'operator-pw']);
is($res->code, 403, 'no redirection token without a session (nothing to bind it to)');
is(RedfishClient::error_id($d), 'NoValidSession', 'NoValidSession');
$rf->validate_all;
done_testing();
