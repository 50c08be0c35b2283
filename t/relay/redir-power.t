# ComputerSystem.Reset while a console session is open (docs/real-hardware-redirection.md).
# AMT firmware refuses, drops or holds back a power-off during a redirection session;
# amtsim plays each (knob power-during-redir). Whatever it does, the Redfish answer
# must be true: checked against the simulated host's own power state and counters.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin", "$FindBin::Bin/../lib";
use Apache::Test;
use Apache::TestUtil;
use RelayTest;
use AmtSim;
use JSON::PP;
use Time::HiRes qw(time sleep);

use constant SYS => '8c3f1e52-0000-4000-8000-000000000050';
use constant { HOST => '127.0.0.50', USER => 'admin', PW => 'P@ssw0rd-redir-50' };

my $probe = get_token(SYS, 'sol');
plan tests => 3 * 13 + 7 + 3 * 6 + 5, need { 'Redfish GenerateRedirectionToken available' => defined $probe };

my $ctl = "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}";
sub sim { system("$ctl @_ >/dev/null") == 0 or die "amtsimctl @_ failed\n" }
sub state_of {
    my %st = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } split /\n/, `$ctl state ${\ SYS}`;
    return \%st;
}
sub reset_to {
    my ($type) = @_;
    my $res = redfish_post('/redfish/v1/Systems/' . SYS . '/Actions/ComputerSystem.Reset', { ResetType => $type });
    my $body = eval { JSON::PP->new->decode($res->content) } || {};
    my $info = $body->{error}{'@Message.ExtendedInfo'}[0] || {};
    return ($res->code, $body->{error}{code} // '', $info->{Resolution} // '');
}
# Apache::Test's ok() takes (got, expected): a named truth check goes through t_cmp.
sub check { my ($cond, $name) = @_; return ok t_cmp($cond ? 1 : 0, 1, $name) }
sub power_on {
    sim('power', SYS, 'on');
}
# A redirection session opened straight to the device, outside this service.
sub direct_session {
    my ($kind) = @_;
    my $r = AmtSim::Redir->new(host => HOST, port => 16994);
    $r->start($kind) == 0 or die "direct $kind start refused\n";
    my ($st) = $r->digest(USER, PW);
    $st == 0 or die "direct $kind login failed\n";
    if ($kind eq 'sol') {
        $r->sol_start(rxto => 0);
    } else {
        $r->send("\x40" . "\0" x 7);
        $r->readn(8) // die "no KVM start reply\n";
    }
    return $r;
}
sub wait_idle {
    my $limit = time + 5;
    while (time < $limit) {
        my $st = state_of();
        return 1 if !$st->{sol_active} && !$st->{kvm_active};
        sleep 0.1;
    }
    return 0;
}

# ---- sessions through the relay: refused before AMT is asked, with every knob ----
for my $knob (qw(defer reject ignore)) {
    sim('fault', SYS, "power-during-redir=$knob");
    power_on();
    my $t = get_token(SYS, 'sol');
    my $ws = ws_handshake(url => relay_url(host => SYS, mode => 'sol'), proto => $t);
    ok t_cmp($ws->{status}, 101, "$knob: SOL stream through the relay");
    check sol_echo($ws, "power-$knob"), "$knob: the stream runs";
    my $before = state_of();
    for my $type (qw(ForceOff GracefulShutdown PowerCycle GracefulRestart)) {
        my ($code, $id, $why) = reset_to($type);
        ok t_cmp("$code $id", qr/^409 Base\.[\d.]+\.ResourceInUse$/, "$knob: $type refused (409 ResourceInUse)");
    }
    my ($code, $id, $why) = reset_to('ForceOff');
    ok t_cmp($why, qr/SOL console session is open.*Close the console.*ForceRestart/s,
             "$knob: the message says a SOL console is open and how to proceed");
    my $after = state_of();
    ok t_cmp("$after->{power_state} $after->{power_pending} $after->{power_changes}",
             "2 0 $before->{power_changes}", "$knob: the host's power did not change and nothing is pending");
    ($code) = reset_to('ForceRestart');
    ok t_cmp($code, 200, "$knob: ForceRestart acts during the session");
    $after = state_of();
    ok t_cmp($after->{power_changes}, $before->{power_changes} + 1, "$knob: the host really was reset");
    ok t_cmp($after->{power_state}, 2, "$knob: and is on again");
    check sol_echo($ws, "after-$knob"), "$knob: the console stream survived the reset";
    ws_send($ws, 8, pack('n', 1000));
    check wait_stream_gone(SYS, 'sol', 10), "$knob: stream closed";
}

# ---- a KVM session opened by another console: AMT's own state tells ----
sim('fault', SYS, 'power-during-redir=defer');
power_on();
wait_idle();
my $kvm = direct_session('kvm');
my $before = state_of();
ok t_cmp($before->{kvm_active}, 1, 'a KVM session outside this service is open');
my ($code, $id, $why) = reset_to('ForceOff');
ok t_cmp("$code $id", qr/^409 .*ResourceInUse$/, 'ForceOff refused: AMT reports the KVM session (SAP state 2)');
ok t_cmp($why, qr/KVM console session/, 'the message names KVM');
my $after = state_of();
ok t_cmp("$after->{power_state} $after->{power_pending}", '2 0', 'nothing was sent to AMT: no power change pending');
$kvm->close;
check wait_idle(), 'KVM session ended';
sleep 0.2;
$after = state_of();
ok t_cmp($after->{power_state}, 2, 'and nothing happens when it ends');
ok t_cmp($after->{power_changes}, $before->{power_changes}, 'no power change at all');

# ---- a SOL session opened by another console: invisible over WS-Man, so AMT's
# answer and the host's power state after the call decide ----
my %expect = (
    reject => qr/refused ForceOff because a redirection session/,
    ignore => qr/accepted ForceOff but the host is still on/,
    defer  => qr/accepted ForceOff but the host is still on.*when\s+that session ends/s,
);
for my $knob (qw(reject ignore defer)) {
    sim('fault', SYS, "power-during-redir=$knob");
    power_on();
    wait_idle();
    my $sol = direct_session('sol');
    my $b = state_of();
    my ($c, $i, $w) = reset_to('ForceOff');
    ok t_cmp("$c $i", qr/^409 .*ResourceInUse$/, "$knob, foreign SOL: ForceOff is not reported as done");
    ok t_cmp($w, $expect{$knob}, "$knob, foreign SOL: the message says what AMT did");
    my $a = state_of();
    ok t_cmp("$a->{power_state} $a->{power_pending}", $knob eq 'defer' ? '2 8' : '2 0',
             "$knob, foreign SOL: host still on" . ($knob eq 'defer' ? ', the off held by AMT' : ''));
    my $closed_at = time;
    $sol->close;
    check wait_idle(), "$knob, foreign SOL: session ended";
    sleep 0.3;
    $a = state_of();
    if ($knob eq 'defer') {
        ok t_cmp($a->{power_state}, 8, 'defer: the host powers off when the session ends (as the 409 warned)');
        check $a->{power_changed_ago} >= 0 && $a->{power_changed_ago} <= time - $closed_at + 0.5,
            "defer: ... and only then ($a->{power_changed_ago} s ago)";
    } else {
        ok t_cmp($a->{power_state}, 2, "$knob: the host stays on after the session");
        ok t_cmp($a->{power_changes}, $b->{power_changes}, "$knob: no power change happened");
    }
}

# ---- no session: the actions act, and ForceOff is confirmed ----
sim('fault', SYS, 'power-during-redir=defer');
power_on();
wait_idle();
($code) = reset_to('ForceOff');
ok t_cmp($code, 200, 'no session: ForceOff succeeds');
ok t_cmp(state_of()->{power_state}, 8, '... and the host is off');
($code) = reset_to('On');
ok t_cmp($code, 200, 'On succeeds');
ok t_cmp(state_of()->{power_state}, 2, '... and the host is on');
my $st = state_of();
ok t_cmp("$st->{power_pending} $st->{power_during_redir}", '0 defer', 'device left as found');
