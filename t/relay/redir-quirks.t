# Redirection quirks of real AMT firmware the relay must survive or catch
# (docs/real-hardware-redirection.md): AMT-originated SOL keep-alives (0x24), the
# KVM start reply and the first RFB bytes in one write, and the two RFB details
# stock noVNC depends on in plain mode (ServerInit name, security type None).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use RelayTest;
use Time::HiRes qw(time sleep);

use constant SYS => '8c3f1e52-0000-4000-8000-000000000050';

my $probe = get_token(SYS, 'sol');
plan tests => 7 + 9 + 5 + 4, need { 'Redfish GenerateRedirectionToken available' => defined $probe };

my $ctl = "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}";
sub sim {
    open my $null, '>', '/dev/null';
    my $pid = fork // die;
    if (!$pid) { open STDOUT, '>&', $null; exec $ENV{AMTSIMCTL}, $ENV{AMTSIM_CONTROL}, @_; exit 127 }
    waitpid $pid, 0;
    $? == 0 or die "amtsimctl @_ failed\n";
}
sub check { my ($cond, $name) = @_; return ok t_cmp($cond ? 1 : 0, 1, $name) }
my $errlog = Apache::Test::vars('t_logs') . '/error_log';

# Reads binary frames until $n bytes arrived (or timeout); returns them.
sub recv_bytes {
    my ($r, $n, $timeout) = @_;
    my $acc = '';
    my $limit = time + ($timeout // 5);
    while (length $acc < $n && time < $limit) {
        my ($op, $p) = ws_recv($r, $limit - time);
        last unless defined $op;
        return $acc if $op == 8;
        $acc .= $p if $op == 2;
    }
    return $acc;
}

# ---- SOL: AMT sends its own 0x24 keep-alive every 50 ms ----
sim('fault', SYS, 'sol-ping=50');
my $pings0 = sim_value(SYS, 'sol_pings');
my $t = get_token(SYS, 'sol');
my $r = ws_handshake(url => relay_url(host => SYS, mode => 'sol'), proto => $t);
ok t_cmp($r->{status}, 101, 'SOL stream with AMT keep-alives');
my $all = '';
my $echoes = 0;
my $until = time + 2;
while (time < $until) {
    ws_send($r, 2, "echo ka$echoes\r");
    my $seen = '';
    my $limit = time + 3;
    while (time < $limit && $seen !~ /ka$echoes\r?\n.*ka$echoes/s) {
        my ($op, $p) = ws_recv($r, 1);
        last unless defined $op;
        $seen .= $p if $op == 2;
    }
    $all .= $seen;
    $echoes++ if $seen =~ /ka$echoes/;
    sleep 0.2;
}
my $pings = sim_value(SYS, 'sol_pings') - $pings0;
check($pings >= 10, "AMT sent keep-alives during the stream ($pings)");
check($echoes >= 5, "the stream kept working throughout ($echoes round trips)");
check(index($all, "\x24\0\0\0") < 0, 'the keep-alives are not passed to the terminal as bytes');
check(sol_echo($r, 'still-there'), 'the stream is still open after them');
ws_send($r, 8, pack('n', 1000));
my ($code) = ws_close_expect($r, 3);
ok t_cmp($code, 1000, 'closed normally by the client');
check(wait_stream_gone(SYS, 'sol', 10), 'stream gone');
sim('fault', SYS, 'sol-ping=0');

# ---- KVM: 0x41 and "RFB 004.000\n" in one write ----
sim('fault', SYS, 'kvm-coalesce=on');
$t = get_token(SYS, 'kvm');
$r = ws_handshake(url => relay_url(host => SYS, mode => 'kvm'), proto => $t);
ok t_cmp($r->{status}, 101, 'coalesced: plain KVM upgrade');
my $rfb = recv_bytes($r, 12);
ok t_cmp($rfb, "RFB 004.000\n", 'coalesced: the client gets the RFB version intact, nothing of 0x41');
ws_send($r, 2, "RFB 003.008\n");
ok t_cmp(unpack('H*', recv_bytes($r, 2)), '0101', 'coalesced: security list None');
ws_send($r, 2, "\x01");
ok t_cmp(unpack('H*', recv_bytes($r, 4)), '00000000', 'coalesced: SecurityResult OK');
ws_send($r, 2, "\x01");
my $init = recv_bytes($r, 24 + 16);
ok t_cmp(substr($init, 24), 'Intel(r) AMT KVM', 'coalesced: ServerInit arrives whole');
ws_send($r, 8, pack('n', 1000));
ws_close_expect($r, 3);
check(wait_stream_gone(SYS, 'kvm', 10), 'stream gone');

$t = get_token(SYS, 'kvm');
$r = ws_handshake(url => relay_url(host => SYS, mode => 'kvm', p => 2, port => 16994, tls => 0), proto => $t);
ok t_cmp($r->{status}, 101, 'coalesced: KVM upgrade (p=2)');
ws_send($r, 2, pack('H*', '100100004b564d52'));
recv_bytes($r, 13);
ws_send($r, 2, pack('H*', '1300000004080000000000000000000000'));
recv_bytes($r, 9);
my $fake = pack('H*', '1300000004') . pack('V', 8 + 32) . ("\0" x 6) . chr(32) . ('0' x 32) . "\0";
ws_send($r, 2, $fake);
my $auth = recv_bytes($r, 9);
ws_send($r, 2, pack('H*', '4000000000000000'));
my $acc = recv_bytes($r, 20);
ok t_cmp(unpack('H*', substr($auth, 0, 2)) . ' ' . unpack('H*', substr($acc, 0, 8)) . ' ' . substr($acc, 8, 12),
         "1400 4100000000000000 RFB 004.000\n", 'coalesced p=2: 0x41 and the RFB version passed through as AMT sent them');
ws_send($r, 8, pack('n', 1000));
ws_close_expect($r, 3);
check(wait_stream_gone(SYS, 'kvm', 10), 'stream gone');
sim('fault', SYS, 'kvm-coalesce=off');

# ---- guards in plain KVM mode ----
sub kvm_until_close {
    my ($wait, @client) = @_;
    my $tk = get_token(SYS, 'kvm');
    my $ws = ws_handshake(url => relay_url(host => SYS, mode => 'kvm'), proto => $tk);
    my $got = recv_bytes($ws, 12);
    for my $m (@client) { ws_send($ws, 2, $m); sleep 0.1 }
    my ($c, $why, $data) = (undef, undef, '');
    my $limit = time + $wait;
    while (time < $limit) {
        my ($op, $p) = ws_recv($ws, $limit - time);
        last unless defined $op;
        if ($op == 8) { ($c, $why) = (unpack('n', substr($p, 0, 2)), substr($p, 2)); last }
        $data .= $p if $op == 2;
    }
    close $ws->{sock};
    wait_stream_gone(SYS, 'kvm', 10);
    return ($c // 0, $why // '', $data, $got);
}

my $off = -s $errlog;
sim('fault', SYS, 'kvm-name=Some_Other_KVM');
my ($c, $why, $data) = kvm_until_close(5, "RFB 003.008\n", "\x01", "\x01");
ok t_cmp($c, 1011, 'other ServerInit name: closed with 1011');
ok t_cmp($why, qr/name 'Some Other KVM' is not 'Intel\(r\) AMT KVM'/, "reason names it ($why)");
check(index($data, 'Some Other KVM') < 0, 'the ServerInit was withheld from the viewer');
check(log_since($errlog, $off) =~ /close=1011 reason="AMT KVM name 'Some Other KVM' is not/, 'logged with the reason');
sim('fault', SYS, 'kvm-name=Intel(r)_AMT_KVM');
my ($c2, $why2, $data2, $first) = kvm_until_close(1, "RFB 003.008\n", "\x01", "\x01");
ok t_cmp($first, "RFB 004.000\n", 'name restored: the handshake starts as before');

sim('fault', SYS, 'rfb-security=2');
($c, $why, $data) = kvm_until_close(5, "RFB 003.008\n");
ok t_cmp($c, 1011, 'no security type None: closed with 1011');
ok t_cmp($why, qr/offers no RFB security None \(2\).*password/, "reason says so ($why)");
ok t_cmp(length $data, 0, 'the security list was withheld from the viewer');
sim('fault', SYS, 'rfb-security=1+2');
($c, $why, $data) = kvm_until_close(1, "RFB 003.008\n");
ok t_cmp(unpack('H*', $data), '020102', 'None among other types: passed on unchanged');
sim('fault', SYS, 'rfb-security=1');
