# A viewer whose network vanished (laptop closed, Wi-Fi or VPN changed: no FIN ever
# arrives) must not lock its device until the idle timeout: when another authorised
# client asks for the device, the relay checks the present client (a ping, and whether
# its TCP still acknowledges anything) and gives the device to the newcomer only if
# the present client is gone. A live viewer is never taken over.
# The vanishing is real: an nftables rule drops every packet the first client sends
# (its data and its TCP acknowledgements) on loopback. Needs root and nft.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use RelayTest;
use Test::More ();
sub diag { Test::More::diag(@_) }

my $nft = '/usr/sbin/nft';
my $table = 'rfamt_relay_vanish';
my $probe = get_token(SYS1, 'sol');
plan tests => 13, need {
    'root and nft, to make a client vanish' => ($> == 0 && -x $nft && system("$nft list tables >/dev/null 2>&1") == 0),
    'Redfish GenerateRedirectionToken available' => defined $probe };

my $log_file = Apache::Test::config()->{vars}{t_logs} . '/error_log';
sub word { join '', 'w', map { ('a' .. 'z')[int rand 26] } 1 .. 8 }
sub drop_rule_off { system("$nft delete table inet $table >/dev/null 2>&1") }
# From now on nothing the client on local PORT sends (data or TCP acknowledgements)
# reaches the server: its network is gone. 1 if the rule is in place.
sub vanish {
    my $port = shift;
    drop_rule_off();
    return system("$nft add table inet $table && "
        . "$nft add chain inet $table in '{ type filter hook input priority 0; }' && "
        . "$nft add rule inet $table in ip saddr 127.0.0.1 tcp sport $port drop") == 0;
}
# Ends a round: the vanished client's rule and socket, the newcomer's stream.
sub end_round {
    my ($gone, $live) = @_;
    drop_rule_off();
    close $gone->{sock};
    ws_send($live, 8, pack('n', 1000));
    ws_close_expect($live, 3);
    close $live->{sock};
    wait_stream_gone(SYS1, 'sol');
}
END { local $?; drop_rule_off() }   # keep the exit status of the tests

wait_stream_gone(SYS1, 'sol');
my $va = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => get_token(SYS1, 'sol'));
ok t_cmp(sol_echo($va, word()), 1, 'viewer A holds the SOL of the device');

# ---- a live viewer is not taken over, and the newcomer hears so quickly ----
my $t0 = time;
my $vb = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => get_token(SYS1, 'sol'));
my $took = time - $t0;
ok t_cmp($vb->{status}, 409, 'viewer B, while A is live: 409');
ok t_cmp($took < 2.5 ? 1 : 0, 1, sprintf('as soon as A answered the liveness check (%.1f s)', $took));
ok t_cmp(sol_echo($va, word()), 1, 'and A goes on untouched');

# ---- A's network vanishes: nothing it sends reaches the server any more ----
my $port = $va->{sock}->sockport;
my $rule = vanish($port);
ok t_cmp($rule ? 1 : 0, 1, "nft drops what A (port $port) sends");
my $log_at = -s $log_file;
$t0 = time;
my $vc = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => get_token(SYS1, 'sol'));
$took = time - $t0;
ok t_cmp($vc->{status}, 101, sprintf('viewer C, once A is gone: 101 after %.1f s', $took));
ok t_cmp($took < 7 ? 1 : 0, 1, 'within seconds, not AmtRelayIdleTimeout (60 s here)');
ok t_cmp(sol_echo($vc, word()), 1, 'and C has a working SOL');
my $log = log_since($log_file, $log_at);
ok t_cmp($log, qr/relay stream ended: .*system=\Q@{[SYS1]}\E mode=sol .*close=1006 reason="client did not answer a liveness check/,
         'A\'s log line says why it ended');
end_round($va, $vc);

# ---- the same while output was pouring towards the client when it vanished (the
#      common case: KVM video): every buffer towards it is full, the ping waits
#      behind the queued output and never arrives; its TCP alone decides ----
my $ctl = "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}";
$va = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => get_token(SYS1, 'sol'));
ok t_cmp(sol_echo($va, word()), 1, 'viewer A holds the SOL again');
system("$ctl fault @{[SYS1]} sol-bulk=on >/dev/null 2>&1");
sleep 1.5;   # A reads nothing: the relay's buffers and the sockets towards A fill up
$port = $va->{sock}->sockport;
$rule = vanish($port);
system("$ctl fault @{[SYS1]} sol-bulk=off >/dev/null 2>&1");
ok t_cmp($rule ? 1 : 0, 1, "A (port $port) vanishes with full buffers towards it");
$t0 = time;
$vc = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => get_token(SYS1, 'sol'));
$took = time - $t0;
ok t_cmp($vc->{status}, 101, sprintf('viewer C gets the device all the same (%.1f s)', $took));
ok t_cmp(sol_echo($vc, word(), 6), 1, 'and C has a working SOL');
end_round($va, $vc);
