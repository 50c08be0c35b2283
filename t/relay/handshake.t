# mod_amt_relay: every malformed or unauthorised upgrade is refused with a 4xx/5xx
# and a clear reason, before any 101 (no token service needed for these).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use RelayTest;

plan tests => 34;

my $ok_url = relay_url(host => SYS1, mode => 'kvm');
my $r;

sub refused {
    my ($r, $status, $re, $name) = @_;
    ok t_cmp($r->{status}, $status, "$name: HTTP $status");
    ok t_cmp($r->{body} // '', $re, "$name: reason");
}

$r = ws_handshake(url => $ok_url, proto => 'x', method => 'POST');
refused($r, 405, qr/GET/, 'POST');
$r = ws_handshake(url => $ok_url, proto => 'x', headers => { Upgrade => undef });
refused($r, 400, qr/Upgrade/, 'no Upgrade header');
$r = ws_handshake(url => $ok_url, proto => 'x', headers => { Connection => 'keep-alive' });
refused($r, 400, qr/Connection/, 'no Connection: Upgrade');
$r = ws_handshake(url => $ok_url, proto => 'x', headers => { 'Sec-WebSocket-Version' => '8' });
refused($r, 426, qr/13/, 'version 8');
ok t_cmp($r->{headers}{'sec-websocket-version'}, '13', '426 advertises version 13');
$r = ws_handshake(url => $ok_url, proto => 'x', headers => { 'Sec-WebSocket-Key' => 'short' });
refused($r, 400, qr/Key/, 'bad key');
$r = ws_handshake(url => relay_url(mode => 'kvm'), proto => 'x');
refused($r, 400, qr/host/, 'missing host');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'ider'), proto => 'x');
refused($r, 400, qr/mode/, 'mode ider');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm', p => 3), proto => 'x');
refused($r, 400, qr/\bp\b/, 'p=3');
# an unknown SystemId is answered as a known one with the same token (review L2):
# nobody without a valid token learns which SystemIds exist
$r = ws_handshake(url => relay_url(host => SYS_UNKNOWN, mode => 'kvm'), proto => 'x');
refused($r, 401, qr/malformed|signature/, 'unknown system, garbage token: as for a known one');
$r = ws_handshake(url => relay_url(host => SYS_UNKNOWN, mode => 'kvm'));
refused($r, 401, qr/missing redirection token/, 'unknown system, no token: as for a known one');
{
    my $other = get_token(SYS1, 'kvm');
    $r = ws_handshake(url => relay_url(host => SYS_UNKNOWN, mode => 'kvm'), proto => $other // 'x');
    my $known = ws_handshake(url => relay_url(host => SYS2, mode => 'kvm'), proto => $other // 'x');
    ok t_cmp("$r->{status} $r->{body}", "$known->{status} $known->{body}",
             'unknown system with a token for another system: the same answer as a known system');
    ok t_cmp($r->{status}, 403, '... 403 (the token is for another system)');
}
$r = ws_handshake(url => $ok_url);
refused($r, 401, qr/missing redirection token/, 'no token');
$r = ws_handshake(url => $ok_url, proto => 'a, b');
refused($r, 400, qr/exactly one/, 'two subprotocols');
$r = ws_handshake(url => $ok_url, proto => 'not-a-token');
refused($r, 401, qr/malformed|signature/, 'garbage token');
$r = ws_handshake(url => $ok_url, proto => 'x', headers => { Origin => 'http://evil.example' });
refused($r, 403, qr/Origin/, 'foreign Origin');
# the DMT ui-toolkit's extra parameters are accepted (the refusal is about the token)
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm', p => 2, port => 16994, tls => 0,
                                   tls1only => 0), proto => 'not-a-token');
refused($r, 401, qr/malformed|signature/, 'ui-toolkit parameters accepted');
ok t_cmp(scalar(grep { $_->{status} == 101 } ()), 0, 'no refusal above switched protocols');
