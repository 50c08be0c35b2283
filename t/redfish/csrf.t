# Cross-site request forgery (security review M1): a page on another site can
# make a browser POST to the API with the Basic credentials it cached, as long
# as the request needs no CORS preflight (no Content-Type, text/plain, a form).
# Every POST/PATCH must say application/json (415 otherwise, bodies or not),
# unsafe Basic requests from another origin are refused (403), and a browser
# navigating to the API gets no Basic challenge (so it never caches one).
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Apache::TestRequest ();
use HTTP::Request;
use LWP::UserAgent;
use MIME::Base64 qw(encode_base64);
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
Apache::TestRequest::module('redfish_basic');    # Basic allowed over plain HTTP here
my $own = 'http://' . Apache::TestRequest::hostport();
Apache::TestRequest::module('default');
$rf->{base} = $own;
my $ACM = $RedfishClient::ACM;
my $reset = $rf->action_path($ACM, 'Reset');
my $cancel = $rf->action_path($ACM, 'CancelKVMConsent');
my $evil = 'https://evil.example';
my $ua = LWP::UserAgent->new(timeout => 30);
my ($res, $d);

# One request exactly as given: no header added (the client helper adds a JSON
# Content-Type to every body, which is what a forged request lacks).
sub raw {
    my ($method, $path, %o) = @_;
    my $req = HTTP::Request->new($method => "$own$path");
    my $h = $o{headers} || {};
    $req->header($_ => $h->{$_}) for keys %$h;
    $req->header(Authorization => 'Basic ' . encode_base64(join(':', @{ $o{basic} }), ''))
        if $o{basic};
    $req->header('X-Auth-Token' => $o{token}) if $o{token};
    my $body = $o{body} // '';
    $req->content($body);
    $req->header('Content-Length' => length $body);
    my $r = $ua->request($req);
    my $j = eval { JSON::PP->new->decode($r->decoded_content) };
    return ($r, $j);
}
sub power { $rf->sim_state($ACM)->{power} }

my $admin = ['admin', 'admin-pw'];
my $tok = $rf->login('admin');

# ---- the review's two forged requests -------------------------------------------
my $p0 = power();
is($p0, 'on', 'the ACM device is on');
($res, $d) = raw(POST => $reset, basic => $admin, body => '{"ResetType":"ForceOff"}',
                 headers => { Origin => $evil });
is($res->code, 415, 'ForceOff with no Content-Type (fetch no-cors Blob) -> 415');
is(RedfishClient::error_id($d), 'HeaderMissing', '... HeaderMissing');
is_deeply($d->{error}{'@Message.ExtendedInfo'}[0]{MessageArgs}, ['Content-Type'],
          '... naming Content-Type');
is(power(), 'on', '... and the device is still on');
($res, $d) = raw(POST => $cancel, basic => $admin,
                 headers => { 'Content-Type' => 'application/x-www-form-urlencoded', Origin => $evil });
is($res->code, 415, 'empty form POST to CancelKVMConsent -> 415');
is(RedfishClient::error_id($d), 'HeaderInvalid', '... HeaderInvalid');

# ---- body-less actions and PATCH need the header too, whoever sends them --------
($res, $d) = raw(POST => $cancel, token => $tok);
is($res->code, 415, 'session-authenticated POST, Content-Length 0, no Content-Type -> 415');
is(RedfishClient::error_id($d), 'HeaderMissing', '... HeaderMissing');
($res, $d) = raw(POST => $reset, token => $tok, body => '{"ResetType":"ForceOff"}',
                 headers => { 'Content-Type' => 'text/plain' });
is($res->code, 415, 'text/plain body -> 415');
($res, $d) = raw(POST => $reset, token => $tok, body => '{"ResetType":"ForceOff"}',
                 headers => { 'Content-Type' => 'application/jsonp' });
is($res->code, 415, 'application/jsonp is not application/json -> 415');
is(power(), 'on', 'none of them powered the device off');
($res, $d) = raw(PATCH => "/redfish/v1/Systems/$ACM", token => $tok,
                 body => '{"SerialConsole":{"WebSocket":{"ServiceEnabled":false}}}');
is($res->code, 415, 'PATCH without Content-Type -> 415');
($res, $d) = raw(POST => '/redfish/v1/SessionService/Sessions',
                 body => '{"UserName":"admin","Password":"admin-pw"}',
                 headers => { 'Content-Type' => 'text/plain;charset=UTF-8' });
is($res->code, 415, 'login with text/plain -> 415');
ok(!defined $res->header('X-Auth-Token'), '... and no session');
# A parameter the action does not know: proves the request got past the checks.
($res, $d) = raw(POST => $reset, token => $tok, body => '{"ResetType":"Bogus"}',
                 headers => { 'Content-Type' => 'Application/JSON ; charset=utf-8' });
is($res->code, 400, 'application/json with a charset (any case) is accepted');
is(RedfishClient::error_id($d), 'ActionParameterValueNotInList', '... and reaches the action');

# ---- Basic from another origin ------------------------------------------------------
my $json = { 'Content-Type' => 'application/json' };
($res, $d) = raw(POST => $reset, basic => $admin, body => '{"ResetType":"Bogus"}',
                 headers => { %$json, Origin => $evil });
is($res->code, 403, 'JSON POST with Basic from another Origin -> 403');
is(RedfishClient::error_id($d), 'AccessDenied', '... AccessDenied');
($res, $d) = raw(POST => $reset, basic => $admin, body => '{"ResetType":"Bogus"}',
                 headers => { %$json, 'Sec-Fetch-Site' => 'cross-site' });
is($res->code, 403, '... and with Sec-Fetch-Site: cross-site (no Origin)');
($res, $d) = raw(POST => $reset, basic => $admin, body => '{"ResetType":"Bogus"}',
                 headers => { %$json, Origin => 'null' });
is($res->code, 403, '... and with Origin: null (sandboxed frame)');
($res, $d) = raw(POST => $reset, basic => $admin, body => '{"ResetType":"Bogus"}',
                 headers => { %$json, Origin => "$own.evil.example" });
is($res->code, 403, '... and with an Origin that only starts like ours');
($res, $d) = raw(POST => $reset, basic => $admin, body => '{"ResetType":"Bogus"}',
                 headers => { %$json, Origin => $own, 'Sec-Fetch-Site' => 'same-origin' });
is($res->code, 400, 'same Origin with Basic passes (to the action: 400 Bogus)');
($res, $d) = raw(POST => $reset, basic => $admin, body => '{"ResetType":"Bogus"}', headers => $json);
is($res->code, 400, 'no Origin (curl, redfishtool) with Basic passes');
($res, $d) = raw(POST => $reset, token => $tok, body => '{"ResetType":"Bogus"}',
                 headers => { %$json, Origin => $evil });
is($res->code, 400, 'X-Auth-Token is not ambient: another Origin is not refused for it');
($res, $d) = raw(GET => '/redfish/v1/Systems', basic => $admin, headers => { Origin => $evil });
is($res->code, 200, 'GET with Basic from another Origin is served (safe; the browser hides the answer)');
my ($tok2, $loc2) = $rf->login('admin');
($res, $d) = raw(DELETE => $loc2, basic => $admin, headers => { Origin => $evil });
is($res->code, 403, 'DELETE of a session with Basic from another Origin -> 403');
($res) = $rf->get($loc2, $tok2);
is($res->code, 200, '... and the session is still there');
is(power(), 'on', 'the device is on at the end');

# ---- the Basic challenge is not offered to a browser loading a page ----------------
my $html = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
($res) = raw(GET => '/redfish/v1/Systems', headers => { Accept => $html });
is($res->code, 401, 'browser navigation without credentials -> 401');
ok(!defined $res->header('WWW-Authenticate'), '... with no Basic challenge (no password dialog)');
($res) = raw(GET => '/redfish/v1/Systems', headers => { Accept => '*/*' });
like($res->header('WWW-Authenticate') // '', qr/^Basic /, 'curl (Accept: */*) still gets the challenge');

$rf->logout_all;
done_testing();
