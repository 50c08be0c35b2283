# mod_amt_relay end to end against amtsim: token checks at the upgrade, both
# dialects, close codes, caps, unreachable device, status page.
# Needs the Redfish token service; skips (honestly) while it is not available.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use RelayTest;
use Time::HiRes ();
use Test::More ();
sub diag { Test::More::diag(@_) }

my $probe = get_token(SYS1, 'sol');
plan tests => 48, need { 'Redfish GenerateRedirectionToken available' => defined $probe };

my $ctl = "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}";
my ($r, $code, $reason, $op, $p);

sub amt_msgs_ok { 1 }

# ---- token refusals (before the upgrade) ----
my $t = get_token(SYS1, 'kvm');
(my $tampered = $t) =~ s/.$/$& eq 'A' ? 'B' : 'A'/e;
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm'), proto => $tampered);
ok t_cmp($r->{status}, 401, 'tampered token refused (401)');
$r = ws_handshake(url => relay_url(host => SYS2, mode => 'kvm'), proto => $t);
ok t_cmp($r->{status}, 403, 'token for another system refused (403)');
ok t_cmp($r->{body}, qr/another system/, 'reason: another system');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
ok t_cmp($r->{status}, 403, 'token for another mode refused (403)');
ok t_cmp($r->{body}, qr/another mode/, 'reason: another mode');

# ---- plain SOL: raw terminal bytes both ways ----
$t = get_token(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
ok t_cmp($r->{status}, 101, 'SOL upgrade (plain)');
ok t_cmp($r->{accept_ok} ? 1 : 0, 1, 'Sec-WebSocket-Accept correct');
ok t_cmp($r->{headers}{'sec-websocket-protocol'}, $t, 'token echoed as the subprotocol');
my $r2 = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
ok t_cmp($r2->{status}, qr/^(403|409)$/, 'replayed token (or second SOL) refused');
ws_send($r, 2, "echo relay-sol-test\r");
my $seen = '';
for (1 .. 20) {
    ($op, $p) = ws_recv($r, 1);
    $seen .= $p if defined $op && $op == 2;
    last if $seen =~ /relay-sol-test/;
}
ok t_cmp($seen, qr/relay-sol-test/, 'SOL text round-trips through the simulator');
# ping / pong
ws_send($r, 9, 'hb');
my $pong;
for (1 .. 20) { ($op, $p) = ws_recv($r, 1); if (defined $op && $op == 10) { $pong = $p; last } }
ok t_cmp($pong, 'hb', 'ping answered with pong');
# a second SOL stream to the same device is refused and does not disturb this one
my $t2 = get_token(SYS1, 'sol');
$r2 = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t2);
ok t_cmp($r2->{status}, 409, 'second SOL stream to the device refused (409)');
ok t_cmp($r2->{body}, qr/already open/, 'reason: already open');
ws_send($r, 2, "echo still-alive\r");
$seen = '';
for (1 .. 20) { ($op, $p) = ws_recv($r, 1); $seen .= $p if defined $op && $op == 2; last if $seen =~ /still-alive/ }
ok t_cmp($seen, qr/still-alive/, 'the live stream is untouched');
# status page
my $st = GET '/amt-relay-status?auto';
ok t_cmp($st->content, qr/AmtRelayStream\d+: system=\Q@{[SYS1]}\E mode=sol/, 'mod_status lists the stream');
# oversize message -> 1009
ws_send($r, 2, 'x' x 70000);
($code, $reason) = ws_close_expect($r, 5);
ok t_cmp($code, 1009, 'oversize message closed with 1009');
ws_send($r, 8, pack('n', 1000));
close $r->{sock};
wait_stream_gone(SYS1, 'sol');   # the relay holds the slot until AMT confirms the end

# ---- protocol error -> 1002; clean close handshake from the client ----
$t = get_token(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
ok t_cmp($r->{status}, 101, 'SOL upgrade again (previous stream ended)');
ws_send($r, 2, 'abc', mask => 0);
($code) = ws_close_expect($r, 5);
ok t_cmp($code, 1002, 'unmasked frame closed with 1002');
close $r->{sock};
wait_stream_gone(SYS1, 'sol');
$t = get_token(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
ws_send($r, 2, 'ab', fin => 0);
ws_send($r, 9, 'in-between');
ws_send($r, 0, "c\r", fin => 1);
for (1 .. 5) { ($op, $p) = ws_recv($r, 1); last if defined $op && $op == 10 }
ok t_cmp($op, 10, 'ping between fragments answered');
ws_send($r, 8, pack('n', 1000) . 'bye');
($code) = ws_close_expect($r, 3);
ok t_cmp($code, 1000, 'client close 1000 is echoed');
my $eof = !defined((ws_recv($r, 3))[0]);
ok t_cmp($eof ? 1 : 0, 1, 'server closes TCP after the close handshake');
close $r->{sock};

# ---- plain KVM: raw RFB ----
$t = get_token(SYS1, 'kvm') or diag("no KVM token: $@");
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm'), proto => $t);
ok t_cmp($r->{status}, 101, 'KVM upgrade (plain)');
my $rfb = '';
for (1 .. 10) { ($op, $p) = ws_recv($r, 2); last unless defined $op; $rfb .= $p; last if length $rfb >= 12 }
ok t_cmp(substr($rfb, 0, 12), "RFB 004.000\n", 'plain KVM starts with the RFB version, no AMT framing');
ws_send($r, 2, "RFB 003.008\n");
($op, $p) = ws_recv($r, 3);
ok t_cmp(defined $p ? unpack('H*', substr($p, 0, 2)) : '', '0101', 'security types 01 01');
ws_send($r, 8, pack('n', 1000));
ws_close_expect($r, 3);
close $r->{sock};
wait_stream_gone(SYS1, 'kvm');

# ---- p=2 passthrough with empty credentials ----
$t = get_token(SYS1, 'kvm');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm', p => 2, port => 16994, tls => 0), proto => $t);
ok t_cmp($r->{status}, 101, 'KVM upgrade (p=2)');
ws_send($r, 2, pack('H*', '100100004b564d52'));
($op, $p) = ws_recv($r, 3);
ok t_cmp(unpack('H*', substr($p // '', 0, 2)), '1100', 'p=2: 0x11 success from AMT');
ws_send($r, 2, pack('H*', '130000000000000000'));
($op, $p) = ws_recv($r, 3);
ok t_cmp(unpack('H*', substr($p // '', 0, 1)), '14', 'p=2: query reply');
ws_send($r, 2, pack('H*', '1300000004080000000000000000000000'));
($op, $p) = ws_recv($r, 3);
ok t_cmp(unpack('H*', substr($p // '', 0, 2)), '1401', 'p=2: digest challenge forwarded');
# the browser's final digest, computed from empty strings: the relay swaps it
my $fake = pack('H*', '1300000004') . pack('V', 8 + 32) . ("\0" x 6) . chr(32) . ('0' x 32) . "\0";
ws_send($r, 2, $fake);
($op, $p) = ws_recv($r, 3);
ok t_cmp(unpack('H*', substr($p // '', 0, 2)), '1400', 'p=2: authenticated with the stored credentials');
ws_send($r, 2, pack('H*', '4000000000000000'));
my $acc = '';
for (1 .. 5) { ($op, $p) = ws_recv($r, 2); last unless defined $op; $acc .= $p; last if length $acc >= 20 }
ok t_cmp(substr($acc, 8, 12), "RFB 004.000\n", 'p=2: 0x41 then RFB passed through');
ws_send($r, 8, pack('n', 1000));
ws_close_expect($r, 3);
close $r->{sock};
wait_stream_gone(SYS1, 'kvm');

# ---- AMT busy: asked again for AmtRelayBusyWait (default 3 s), then a clean 1013 ----
my $busy_answers = sub { sim_value(SYS1, 'redir_busy') };
my $log_file = Apache::Test::config()->{vars}{t_logs} . '/error_log';
my $b0 = $busy_answers->();
system("$ctl fault @{[SYS1]} busy=on >/dev/null 2>&1");
$t = get_token(SYS1, 'kvm');
my $t_busy = Time::HiRes::time();
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm'), proto => $t);
($code, $reason) = ws_close_expect($r, 8);
my $waited = Time::HiRes::time() - $t_busy;
ok t_cmp($code, 1013, 'AMT BUSY for good -> close 1013');
ok t_cmp($reason, qr/busy/i, 'reason says busy');
ok t_cmp($waited >= 2.8 && $waited <= 5 ? 1 : 0, 1, sprintf('after AmtRelayBusyWait (3 s), not at once: %.2f s', $waited));
my $asked = $busy_answers->() - $b0;
ok t_cmp($b0 >= 0 && $asked >= 6 ? 1 : 0, 1, "AMT was asked again meanwhile ($asked BUSY answers)");
close $r->{sock};
wait_stream_gone(SYS1, 'kvm');
# the device frees up during the wait (a session still being torn down): the client
# never learns it was busy, and the log says how often AMT was asked
my $log_at = -s $log_file;
$b0 = $busy_answers->();
$t = get_token(SYS1, 'kvm');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm'), proto => $t);
Time::HiRes::sleep(0.8);
system("$ctl fault @{[SYS1]} busy=off >/dev/null 2>&1");
$rfb = '';
for (1 .. 10) { ($op, $p) = ws_recv($r, 3); last unless defined $op && $op == 2; $rfb .= $p; last if length $rfb >= 12 }
ok t_cmp(substr($rfb, 0, 12), "RFB 004.000\n", 'busy for 0.8 s: the plain KVM stream opens anyway');
$asked = $busy_answers->() - $b0;
ok t_cmp($asked >= 2 ? 1 : 0, 1, "after AMT said BUSY $asked times");
ws_send($r, 8, pack('n', 1000));
ws_close_expect($r, 3);
close $r->{sock};
wait_stream_gone(SYS1, 'kvm');
ok t_cmp(log_since($log_file, $log_at), qr/relay stream ended: .*system=\Q@{[SYS1]}\E mode=kvm dialect=plain amt_busy=$asked /,
         'the stream\'s log line counts the BUSY answers');
# p=2: the browser sent the session start itself; it gets AMT's OK, never the BUSY
system("$ctl fault @{[SYS1]} busy=on >/dev/null 2>&1");
$t = get_token(SYS1, 'kvm');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm', p => 2, port => 16994, tls => 0), proto => $t);
ws_send($r, 2, pack('H*', '100000004b564d52'));
Time::HiRes::sleep(0.8);
system("$ctl fault @{[SYS1]} busy=off >/dev/null 2>&1");
($op, $p) = ws_recv($r, 4);
ok t_cmp(unpack('H*', substr($p // '', 0, 2)), '1100', 'p=2 busy for 0.8 s: the browser gets 0x11 OK');
ws_send($r, 8, pack('n', 1000));
ws_close_expect($r, 3);
close $r->{sock};
wait_stream_gone(SYS1, 'kvm');
# ---- a device (or a man in the middle) offering only type 1 on plain TCP ----
# The relay must not send the stored password in clear: it ends the stream instead.
my $plain_logins = sub { sim_value(SYS1, 'redir_plain_logins') };
my $before = $plain_logins->();
system("$ctl fault @{[SYS1]} plain-auth=only >/dev/null 2>&1");
$t = get_token(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
($code, $reason) = ws_close_expect($r, 3);
ok t_cmp($code, 1011, 'type-1-only AMT on plain TCP -> close 1011');
ok t_cmp($reason, qr/only over TLS/, 'reason: plain-text authentication only over TLS');
close $r->{sock};
wait_stream_gone(SYS1, 'sol');
# p=2: a client asking for type 1 would make the relay inject the password in clear
$t = get_token(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol', p => 2, port => 16994, tls => 0), proto => $t);
ws_send($r, 2, pack('H*', '10000000534f4c20'));
ws_recv($r, 3);
ws_send($r, 2, pack('H*', '1300000001020000000000'));
($code, $reason) = ws_close_expect($r, 3);
ok t_cmp($code, 1008, 'p=2 type-1 login on plain TCP -> close 1008');
ok t_cmp($reason, qr/not available through the relay/, 'reason: type 1 is not available through the relay');
close $r->{sock};
system("$ctl fault @{[SYS1]} plain-auth=off >/dev/null 2>&1");
wait_stream_gone(SYS1, 'sol');
ok t_cmp($plain_logins->(), $before, 'amtsim received no type-1 login (no password in clear)');
ok t_cmp($before >= 0 ? 1 : 0, 1, 'amtsim counts type-1 logins (amtsimctl state)');
# the device cuts the stream after sending 400 bytes (the handshake is ~150)
system("$ctl fault @{[SYS1]} drop-after=400 >/dev/null 2>&1");
$t = get_token(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
my $t0 = Time::HiRes::time();
ws_send($r, 2, "echo " . ('y' x 300) . "\r");
($code, $reason) = ws_close_expect($r, 4);
ok t_cmp($code, qr/^(1000|1011)$/, 'AMT dropping the connection -> close 1000/1011');
ok t_cmp(Time::HiRes::time() - $t0 <= 2.0 ? 1 : 0, 1, 'within 2 s');
close $r->{sock};
system("$ctl fault @{[SYS1]} drop-after=0 >/dev/null 2>&1");

# ---- unreachable device: 502 before the upgrade ----
$t = get_token(SYS4, 'sol');
$r = ws_handshake(url => relay_url(host => SYS4, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, qr/^(502|401|403|503)$/, 'unreachable device refused before the upgrade');
ok t_cmp($r->{body} // '', qr/connect|token/, 'with a reason');
