# Session logins follow the same transport rule as HTTP Basic (security review
# M5): the password is refused over plain HTTP unless the virtual host opts in
# (RedfishAllowLoginOverHTTP on; t/conf/redfish.conf.in does so for the main
# test port). Behind a RedfishTrustedProxy, its X-Forwarded-Proto tells whether
# the client's leg was encrypted; from anyone else that header counts for nothing.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Apache::TestRequest ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

sub client_on {
    my ($vhost) = @_;
    my $c = RedfishClient->new;
    Apache::TestRequest::module($vhost);
    $c->{base} = 'http://' . Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    return $c;
}
my $strict = client_on('redfish_login_strict');
my $proxied = client_on('redfish_login_proxied');
my $S = '/redfish/v1/SessionService/Sessions';
my $login = { UserName => 'operator', Password => 'operator-pw' };
my ($res, $d);

($res, $d) = $strict->post($S, undef, $login);
is($res->code, 403, 'login over plain HTTP (RedfishAllowLoginOverHTTP off) -> 403');
is(RedfishClient::error_id($d), 'AccessDenied', '... AccessDenied');
ok(!defined $res->header('X-Auth-Token'), '... and no token');
($res, $d) = $strict->post($S, undef, $login, headers => { 'X-Forwarded-Proto' => 'https' });
is($res->code, 403, 'X-Forwarded-Proto from a peer that is not a trusted proxy is ignored');
($res, $d) = $strict->post($S, undef, { UserName => 'operator', Password => 'wrong' });
is($res->code, 403, 'a wrong password gets the same 403 (nothing learned over plain HTTP)');

($res, $d) = $proxied->post($S, undef, $login);
is($res->code, 403, 'from the trusted proxy without X-Forwarded-Proto -> 403');
($res, $d) = $proxied->post($S, undef, $login, headers => { 'X-Forwarded-Proto' => 'http' });
is($res->code, 403, 'X-Forwarded-Proto: http -> 403');
($res, $d) = $proxied->post($S, undef, $login, headers => { 'X-Forwarded-Proto' => 'https' });
is($res->code, 201, 'X-Forwarded-Proto: https from the trusted proxy -> 201');
my $tok = $res->header('X-Auth-Token');
ok($tok, '... with a token');
($res) = $proxied->get('/redfish/v1/Systems', $tok);
is($res->code, 200, 'the session works');
is($res->header('Cache-Control'), 'private, no-store',
   'authenticated JSON: Cache-Control private, no-store (review L8)');
($res) = $proxied->get('/redfish/v1');
is($res->header('Cache-Control'), 'no-cache', 'the public service root keeps no-cache');
$proxied->delete($d->{'@odata.id'}, $tok, no_validate => 1) if $d && $d->{'@odata.id'};

# HTTP Basic follows the same rule behind the proxy (RedfishAllowBasicOverHTTP off).
($res) = $proxied->get('/redfish/v1/Systems', undef, basic => ['reader', 'reader-pw']);
is($res->code, 403, 'Basic from the trusted proxy without X-Forwarded-Proto -> 403');
($res) = $proxied->get('/redfish/v1/Systems', undef, basic => ['reader', 'reader-pw'],
                       headers => { 'X-Forwarded-Proto' => 'https' });
is($res->code, 200, 'Basic with X-Forwarded-Proto: https from the trusted proxy -> 200');

$strict->validate_all;
$proxied->validate_all;
done_testing();
