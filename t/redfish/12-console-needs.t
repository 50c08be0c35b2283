# What the web console needs from the Redfish service:
#  - no browser Basic-auth popup: a 401 to a script request (X-Requested-With:
#    XMLHttpRequest) carries no `WWW-Authenticate: Basic`; other clients keep it;
#  - a live relay stream shows as KVMStatus/SOLStatus "Active" (mod_amt_relay's
#    optional amt_relay_active_streams), at once, whatever the caches hold;
#  - a state refresh reuses the identity read before (8 WS-Man calls, not 10: the
#    platform GUID is rechecked and OSPowerSavingState read on every refresh).
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Apache::TestRequest ();
use Test::More;
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../relay";
use RedfishClient;
use RelayTest qw(get_token ws_handshake ws_send ws_close_expect relay_url sol_echo
                 wait_stream_gone);

my $rf = RedfishClient->new;
my $id = $RedfishClient::ACM;    # consent=none: tokens without a consent step
my $path = "/redfish/v1/Systems/$id";
my $XHR = { 'X-Requested-With' => 'XMLHttpRequest' };
my ($res, $d);

# ---- 1. the Basic challenge, and when it is left out -------------------------
($res) = $rf->get('/redfish/v1/Systems', 'no-such-token', no_validate => 1);
is($res->code, 401, 'bad X-Auth-Token -> 401');
like($res->header('WWW-Authenticate') // '', qr/^Basic /, '... with WWW-Authenticate: Basic');
($res) = $rf->get('/redfish/v1/Systems', 'no-such-token', headers => $XHR, no_validate => 1);
is($res->code, 401, 'bad X-Auth-Token from a script -> 401');
ok(!defined $res->header('WWW-Authenticate'), '... without WWW-Authenticate (no popup)');
($res) = $rf->get('/redfish/v1/Systems', undef, headers => $XHR, no_validate => 1);
is($res->code, 401, 'no credentials from a script -> 401');
ok(!defined $res->header('WWW-Authenticate'), '... without WWW-Authenticate');
($res) = $rf->post('/redfish/v1/SessionService/Sessions', undef,
                   { UserName => 'reader', Password => 'wrong' }, no_validate => 1);
is($res->code, 401, 'failed login -> 401');
like($res->header('WWW-Authenticate') // '', qr/^Basic /, '... with WWW-Authenticate: Basic');
($res) = $rf->post('/redfish/v1/SessionService/Sessions', undef,
                   { UserName => 'reader', Password => 'wrong' }, headers => $XHR,
                   no_validate => 1);
is($res->code, 401, 'failed login from a script -> 401');
ok(!defined $res->header('WWW-Authenticate'), '... without WWW-Authenticate');
{
    my $basic = RedfishClient->new;
    Apache::TestRequest::module('redfish_basic');
    $basic->{base} = 'http://' . Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    ($res) = $basic->get('/redfish/v1/Systems', undef, basic => ['reader', 'nope'],
                         headers => { 'X-Requested-With' => 'xmlhttprequest' }, no_validate => 1);
    is($res->code, 401, 'wrong Basic password from a script -> 401');
    ok(!defined $res->header('WWW-Authenticate'), '... without WWW-Authenticate');
}

my $tok = $rf->login('reader');
sub calls { $rf->sim_state($id)->{wsman_calls} }
sub oem { my ($r, $j) = $rf->get($path, $tok); return ($r, $j && $j->{Oem}{Intel}) }

# ---- 4. refresh cost: identity is read once, not on every refresh ------------
($res) = $rf->get($path, $tok);
is($res->code, 200, 'GET system (identity now in the shared state cache)');
sleep 2.2;    # RedfishStateCacheTTL 2000 in t/conf/redfish.conf.in
my $c0 = calls();
($res, $d) = $rf->get($path, $tok);
is($res->code, 200, 'GET after the TTL: a refresh');
is(calls() - $c0, 8, 'the refresh costs 8 WS-Man calls (identity reused), not 10');
ok($d && $d->{UUID}, 'identity still present in the refreshed representation');
sleep 2.2;
$c0 = calls();
($res) = $rf->get($path, $tok);
is(calls() - $c0, 8, 'and so does the next one');

# ---- 2. a live relay stream is "Active" ----------------------------------------
my $intel;
($res, $intel) = oem();
is($res->code, 200, 'GET system before any stream');
isnt($intel->{SOLStatus}, 'Active', "no stream: SOLStatus $intel->{SOLStatus}");
my $before_kvm = $intel->{KVMStatus};

my $rt = get_token($id, 'sol');
ok(defined $rt, 'redirection token for SOL') or diag($@);
my $ws = ws_handshake(url => relay_url(host => $id, mode => 'sol'), proto => $rt);
is($ws->{status}, 101, 'plain SOL stream through the relay');
ok(sol_echo($ws, 'console-needs'), 'the stream is live (echo round trip)');
# still within the TTL of the state read above: only the live count changed
($res, $intel) = oem();
is($intel->{SOLStatus}, 'Active', 'SOL stream open: SOLStatus Active');
is($intel->{KVMStatus}, $before_kvm, 'KVMStatus unchanged by a SOL stream');
($res, $intel) = oem();
is($intel->{SOLStatus}, 'Active', 'again (per-process rendering cache)');

ws_send($ws, 8, pack('n', 1000) . 'bye');
ws_close_expect($ws, 5);
close $ws->{sock} if $ws->{sock};
ok(wait_stream_gone($id, 'sol', 10), 'the relay released the stream');
($res, $intel) = oem();
is($res->code, 200, 'GET system after the stream');
isnt($intel->{SOLStatus}, 'Active', "stream closed: SOLStatus $intel->{SOLStatus}");

$rf->logout_all;
$rf->validate_all;
done_testing();
