# The TLS-to-AMT policy on both planes against amtsim (docs/real-hardware.md,
# "TLS to AMT"): a TLS 1.1 / AES128-SHA device (AMT 9-11.8) is refused without
# AmtTLSLegacy (503 on GET Systems, 502 on the relay, both naming the directive) and
# reached with it (GET Systems 200, a SOL stream whose log line names TLS 1.1); the
# start-up warnings; a plain device whose port is closed gets the AmtTLS hint; the
# relay never sends a type-1 login over unverified TLS (review M6).
# Devices 0x30-0x33 come from t/conf/tls.conf.in.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest ();
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(sleep);
use RelayTest;

use constant SYS_LEGACY_NO  => '8c3f1e52-0000-4000-8000-000000000030';
use constant SYS_LEGACY_YES => '8c3f1e52-0000-4000-8000-000000000031';
use constant SYS_UNVERIFIED => '8c3f1e52-0000-4000-8000-000000000032';
use constant SYS_LEGACY_RDR => '8c3f1e52-0000-4000-8000-000000000033';
use constant SYS_CLOSED     => '8c3f1e52-0000-4000-8000-000000000015';

plan tests => 24;

my $ctl = "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}";
my $state = $ENV{RFAMT_STATEDIR};
my $log_file = Apache::Test::vars('t_logs') . '/error_log';
my $session = RelayTest::session_token('admin', 'admin-pw');
sub get_system {
    my $res = Apache::TestRequest::GET("/redfish/v1/Systems/$_[0]", 'X-Auth-Token' => $session);
    my $body = eval { JSON::PP->new->decode($res->content) } || {};
    return ($res, $body);
}
sub resolution { my $b = shift; return $b->{error}{'@Message.ExtendedInfo'}[0]{Resolution} // '' }

# ---- start-up: every weakening is logged, naming the device --------------------
my $startup = log_since($log_file, 0);
ok t_cmp($startup, qr/AmtDevice \Q@{[SYS_LEGACY_YES]}\E \(127\.0\.0\.30\): AmtTLSLegacy on weakens TLS/,
         'AmtTLSLegacy logged at start-up as a weakening, naming the device');
ok t_cmp($startup, qr/AmtDevice \Q@{[SYS1]}\E \(127\.0\.0\.2\): AmtTLS off/,
         'AmtTLS off logged at start-up, naming the device');
ok t_cmp($startup =~ /AmtDevice \Q@{[SYS_LEGACY_NO]}\E[^\n]*(AmtTLSLegacy|AmtTLS off)/ ? 1 : 0, 0,
         'a default (TLS, verified) device is not reported as weakened');
# an inline AmtPassword (device 2) is a weakening too; a password file (device 1) is not
ok t_cmp($startup, qr/AmtDevice 8c3f1e52-0000-4000-8000-000000000002 \(127\.0\.0\.3\): AmtPassword is written in the configuration/,
         'an inline AmtPassword is warned about at start-up, naming the device');
ok t_cmp($startup =~ /AmtDevice \Q@{[SYS1]}\E[^\n]*AmtPassword is written/ ? 1 : 0, 0,
         'a device with AmtPasswordFile is not');
ok t_cmp($startup =~ /P\@ssw0rd/ ? 1 : 0, 0, 'and no password appears in the log');

# ---- WS-Man: legacy firmware ------------------------------------------------------
my $at = -s $log_file;
my ($res, $body) = get_system(SYS_LEGACY_NO);
ok t_cmp($res->code, 503, 'TLS 1.1 device without AmtTLSLegacy: GET Systems 503');
ok t_cmp(resolution($body), qr/AmtTLSLegacy on/, 'the Redfish error says to set AmtTLSLegacy on');
ok t_cmp(log_since($log_file, $at), qr/\Q@{[SYS_LEGACY_NO]}\E.*state refresh failed: .*AmtTLSLegacy on/,
         'and so does the error log');
($res, $body) = get_system(SYS_LEGACY_YES);
ok t_cmp($res->code, 200, 'the same device with AmtTLSLegacy on: GET Systems 200');
ok t_cmp($body->{Id} // '', SYS_LEGACY_YES, '... its ComputerSystem');

# ---- relay: legacy firmware -----------------------------------------------------------
my $t = get_token(SYS_LEGACY_YES, 'sol');
my $r = ws_handshake(url => relay_url(host => SYS_LEGACY_YES, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 101, 'relay to the TLS 1.1 device with AmtTLSLegacy: SOL upgrade');
ok t_cmp(sol_echo($r, 'legacy' . int(rand 1e6)), 1, '... and text round-trips');
$at = -s $log_file;
ws_send($r, 8, pack('n', 1000));
ws_close_expect($r, 3);
close $r->{sock};
wait_stream_gone(SYS_LEGACY_YES, 'sol');
my $ended = '';
for (1 .. 20) { $ended = log_since($log_file, $at); last if $ended =~ /relay stream ended/; sleep 0.1 }
ok t_cmp($ended, qr/relay stream ended: .*system=\Q@{[SYS_LEGACY_YES]}\E .* tls=TLSv1\.1 cipher=AES128-SHA /,
         'the stream log line names the negotiated TLS version and cipher');

# the redirection port of a modern device speaks only TLS 1.1 (an openssl s_server):
# the WS-Man side issues the token, the relay refuses before the upgrade
my $srv = fork // die;
if (!$srv) {
    open STDIN, '<', '/dev/null'; open STDOUT, '>', '/dev/null'; open STDERR, '>', "$state/s_server-17997.log";
    exec 'timeout', '60', 'openssl', 's_server', '-accept', '127.0.0.4:17997', '-cert', "$state/ca/server.pem",
         '-key', "$state/ca/server-key.pem", '-tls1_1', '-cipher', 'AES128-SHA:@SECLEVEL=0', '-quiet';
    exit 127;
}
END { kill 'TERM', $srv if $srv }
my $up = 0;
for (1 .. 50) {
    if (my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.4', PeerPort => 17997, Timeout => 1)) { close $s; $up = 1; last }
    sleep 0.1;
}
$t = $up ? get_token(SYS_LEGACY_RDR, 'sol') : undef;
$r = ws_handshake(url => relay_url(host => SYS_LEGACY_RDR, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 502, 'relay to a TLS 1.1 redirection port without AmtTLSLegacy: 502');
ok t_cmp($r->{body} // '', qr/AmtTLSLegacy on/, "the reason names AmtTLSLegacy ($r->{body})");
kill 'TERM', $srv; waitpid $srv, 0; $srv = 0;

# ---- a plain device whose port is closed: the AmtTLS hint -----------------------------
$at = -s $log_file;
($res, $body) = get_system(SYS4);
ok t_cmp($res->code, 503, 'plain device, nothing listening: 503');
ok t_cmp(resolution($body), qr/closes the non-TLS ports.*set AmtTLS on/, 'the Redfish error hints at AmtTLS on');
ok t_cmp(log_since($log_file, $at), qr/\Q@{[SYS4]}\E.*closes the non-TLS ports.*set AmtTLS on/, 'and so does the error log');
$t = get_token(SYS_CLOSED, 'sol');
$r = ws_handshake(url => relay_url(host => SYS_CLOSED, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 502, 'relay, plain redirection port refused: 502');
ok t_cmp($r->{body} // '', qr/set AmtTLS on/, "with the AmtTLS hint ($r->{body})");

# ---- M6: no type-1 login over unverified TLS ------------------------------------------
my $plain0 = sim_value(SYS3, 'redir_plain_logins');
system("$ctl fault @{[SYS3]} plain-auth=only >/dev/null 2>&1");
$t = get_token(SYS_UNVERIFIED, 'sol');
$r = ws_handshake(url => relay_url(host => SYS_UNVERIFIED, mode => 'sol'), proto => $t // 'x');
my ($code, $reason) = ws_close_expect($r, 3);
ok t_cmp($code, 1011, 'type-1-only device behind AmtTLSInsecure: close 1011');
ok t_cmp($reason // '', qr/verified certificate/, "reason: type 1 only over verified TLS ($reason)");
close $r->{sock} if $r->{sock};
system("$ctl fault @{[SYS3]} plain-auth=off >/dev/null 2>&1");
wait_stream_gone(SYS_UNVERIFIED, 'sol');
ok t_cmp(sim_value(SYS3, 'redir_plain_logins'), $plain0, 'amtsim received no type-1 login (no password in clear)');
