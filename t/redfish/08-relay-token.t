# redfish_amt_check_token as mod_amt_relay uses it: a token opens its own system
# and mode once, only while the issuing session lives and consent holds, and
# anything else (garbage, tampering) is refused. Driven through the relay's
# WebSocket handshake, the way a real client presents a token.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
my ($ACM, $CCM) = ($RedfishClient::ACM, $RedfishClient::CCM);
(my $hostport = $rf->base) =~ s{^http://}{};

# One handshake; returns (status, body or reason). The socket is closed at once.
sub handshake {
    my ($host, $mode, $token) = @_;
    for my $try (1 .. 40) {
        my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 10) or die "connect: $!";
        my $key = encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
        print $s "GET /relay/webrelay.ashx?host=$host&mode=$mode HTTP/1.1\r\nHost: $hostport\r\n"
               . "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Protocol: $token\r\n\r\n";
        my $head = '';
        while (defined(my $line = <$s>)) { $head .= $line; last if $line eq "\r\n" }
        my ($code) = $head =~ m{^HTTP/1\.1 (\d{3})};
        my $body = '';
        if (($code // 0) != 101) {
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            read($s, $body, $len) if $len;
        }
        close $s;
        # the previous test stream may still be winding down in the relay
        if (($code // 0) == 409 && $body =~ /already open/) { sleep 0.25; next }
        chomp $body;
        return ($code // 0, $body);
    }
    return (409, 'stream slot never freed');
}

sub token {
    my ($tok, $id, $mode) = @_;
    my ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $tok, { Mode => $mode });
    die "token: " . $res->status_line . ' ' . $res->content unless $res->code == 200;
    return $d->{RedirectionToken};
}

my ($op, $op_loc) = $rf->login('operator');
$rf->patch("/redfish/v1/Systems/$ACM", $op, { SerialConsole => { WebSocket => { ServiceEnabled => JSON::PP::true } },
                                              GraphicalConsole => { ServiceEnabled => JSON::PP::true } });

my $a = token($op, $ACM, 'SOL');
my ($code, $why) = handshake($ACM, 'sol', $a);
is($code, 101, 'a fresh SOL token opens SOL on its system') or diag $why;
($code, $why) = handshake($ACM, 'sol', $a);
is($code, 403, 'the same token again is refused');
is($why, 'token already used', '  ... as a replay');

my $b = token($op, $ACM, 'SOL');
($code, $why) = handshake($ACM, 'kvm', $b);
is($code, 403, 'a SOL token does not open KVM');
is($why, 'token was issued for another mode', '  ... wrong mode');
($code, $why) = handshake($CCM, 'sol', $b);
is($code, 403, 'a token for one system does not open another');
is($why, 'token was issued for another system', '  ... wrong system');
($code, $why) = handshake($ACM, 'sol', $b);
is($code, 101, 'refusals did not burn the token: it still opens its own stream') or diag $why;

for my $bad (['garbage', 'not.a.token'], ['alg none', 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.'],
             ['tampered', do { my $t = token($op, $ACM, 'SOL'); substr($t, 40, 1) = substr($t, 40, 1) eq 'A' ? 'B' : 'A'; $t }]) {
    ($code, $why) = handshake($ACM, 'sol', $bad->[1]);
    is($code, 401, "$bad->[0] token refused");
    is($why, 'token malformed or signature invalid', "  ... $bad->[0]: malformed");
}

# the issuing session ends -> its tokens die with it
my ($op2, $op2_loc) = $rf->login('operator');
my $c = token($op2, $ACM, 'KVM');
$rf->delete($op2_loc, $op2);
($code, $why) = handshake($ACM, 'kvm', $c);
is($code, 401, 'token of a deleted session refused');
is($why, 'the session that issued the token has ended', '  ... session gone');

# CCM: consent given, token issued, consent withdrawn -> the token no longer opens
$rf->patch("/redfish/v1/Systems/$CCM", $op, { GraphicalConsole => { ServiceEnabled => JSON::PP::true } });
my ($res) = $rf->post($rf->action_path($CCM, 'RequestKVMConsent'), $op);
is($res->code, 200, 'CCM: consent requested');
my $code6 = $rf->simctl('code', $CCM);
($res) = $rf->post($rf->action_path($CCM, 'SubmitKVMConsentCode'), $op, { ConsentCode => "$code6" });
is($res->code, 200, 'CCM: consent granted');
my $e = token($op, $CCM, 'KVM');
($res) = $rf->post($rf->action_path($CCM, 'CancelKVMConsent'), $op);
is($res->code, 200, 'CCM: consent withdrawn');
($code, $why) = handshake($CCM, 'kvm', $e);
is($code, 403, 'token refused once consent is gone');
is($why, 'user consent required and not granted', '  ... no consent');

# the signing key survives a graceful restart: a token issued before still opens
{
    $rf->patch("/redfish/v1/Systems/$ACM", $op, { SerialConsole => { WebSocket => { ServiceEnabled => JSON::PP::true } } });
    my $f = token($op, $ACM, 'SOL');
    my $t_dir = Apache::Test::vars('t_dir');
    open my $pf, '<', "$t_dir/logs/httpd.pid" or die "httpd.pid: $!";
    chomp(my $pid = <$pf>);
    my $gen0 = `grep -c 'resuming normal operations' $t_dir/logs/error_log`;
    ok(kill('USR1', $pid), 'graceful restart');
    for (1 .. 50) {
        sleep 0.2;
        last if `grep -c 'resuming normal operations' $t_dir/logs/error_log` > $gen0;
    }
    ($code, $why) = handshake($ACM, 'sol', $f);
    is($code, 101, 'a token issued before a graceful restart still opens') or diag $why;
    ($code, $why) = handshake($ACM, 'sol', $f);
    is($why, 'token already used', 'and is still single-use after the restart');
}

$rf->logout_all;
$rf->validate_all;
done_testing();
