# mod_amt_relay across the server's own life cycle, on a private httpd of the MPM
# under test: a graceful restart (`apachectl graceful`, Debian's `systemctl reload`)
# leaves live streams alone, while a graceful stop (`apachectl graceful-stop`, what
# Debian's `systemctl stop` and `restart` run) ends them at once with close 1001 and
# a polite end of the AMT session, instead of holding the stop until
# GracefulShutdownTimeout (by default for ever) and then being killed unannounced.
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

my $probe = get_token(SYS1, 'sol');
plan tests => 16, need { 'Redfish GenerateRedirectionToken available' => defined $probe };

my $state = $ENV{RFAMT_STATEDIR};
sub word { join '', 'w', map { ('a' .. 'z')[int rand 26] } 1 .. 8 }
sub sol_active { sim_value(SYS1, 'sol_active') }

wait_stream_gone(SYS1, 'sol');
my $ph = private_httpd(name => 'life', conf => "AmtRelayIdleTimeout 60\n"
    . "<AmtDevice @{[SYS1]}>\n AmtHost 127.0.0.2\n AmtTLS off\n AmtUser admin\n AmtPasswordFile $state/acm-1.pw\n</AmtDevice>\n");
ok t_cmp(defined $ph ? 1 : 0, 1, 'private httpd started') or diag($@);
SKIP: {
    Test::More::skip('no private httpd', 15) unless $ph;
    my $apache = "/usr/sbin/apache2 -d $ph->{dir} -f $ph->{dir}/httpd.conf";
    # ---- no AmtRelayOriginAllow here: a browser's Origin must be this host ----
    my $o = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => 'x', hostport => $ph->{hostport},
                         headers => { Origin => 'http://evil.example' });
    ok t_cmp($o->{status}, 403, 'default Origin rule: a page of another site gets 403');
    ok t_cmp($o->{body} // '', qr/Origin is not this host/, '... saying why');
    close $o->{sock} if $o->{sock};
    $o = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => 'x', hostport => $ph->{hostport},
                      headers => { Origin => "http://$ph->{hostport}" });
    ok t_cmp($o->{status}, 401, 'an Origin of this very host passes the Origin check (then the bad token: 401)');
    close $o->{sock} if $o->{sock};
    $o = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => 'x', hostport => $ph->{hostport});
    ok t_cmp($o->{status}, 401, 'no Origin (not a browser) passes it too');
    close $o->{sock} if $o->{sock};
    my $tk = get_token_at($ph->{base}, SYS1, 'sol') or diag("token: $@");
    my $r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $tk // 'x', hostport => $ph->{hostport});
    ok t_cmp(sol_echo($r, word()), 1, 'a live SOL stream');

    # ---- graceful restart: the stream goes on in the old child ----
    my $gen0 = `$apache -k graceful 2>&1`;
    sleep 2;
    my $tk2 = get_token_at($ph->{base}, SYS1, 'kvm');
    ok t_cmp(defined $tk2 ? 1 : 0, 1, 'after a graceful restart the server answers (new children)') or diag($@, $gen0);
    ok t_cmp(sol_echo($r, word()), 1, 'and the live stream still carries text');
    ok t_cmp(sol_active(), 1, 'the device session is still up');

    # ---- graceful stop: the stream is ended with 1001 at once, the server goes ----
    my $pid = do { local (@ARGV, $/) = "$ph->{dir}/httpd.pid"; <> } // '';
    chomp $pid;
    my $t0 = time;
    system("$apache -k graceful-stop >/dev/null 2>&1");
    my ($code, $reason) = ws_close_expect($r, 8);
    my $took = time - $t0;
    ok t_cmp($code // 0, 1001, 'graceful stop: the client gets close 1001 (going away)');
    ok t_cmp($reason // '', qr/server shutting down/, 'with the reason');
    ok t_cmp($took < 3 ? 1 : 0, 1, sprintf('within 3 s (%.1f s), not after GracefulShutdownTimeout', $took));
    close $r->{sock};
    my $gone;
    for (1 .. 50) { if (sol_active() == 0) { $gone = 1; last } sleep 0.1 }
    ok t_cmp($gone ? 1 : 0, 1, 'the AMT session is ended');
    my $exited;
    for (1 .. 100) { if ($pid =~ /^\d+$/ && !kill(0, $pid)) { $exited = time - $t0; last } sleep 0.1 }
    ok t_cmp(defined $exited ? 1 : 0, 1, sprintf('the server has exited (%s s after graceful-stop)',
             defined $exited ? sprintf('%.1f', $exited) : 'not within 10'));
    my $log = do { local (@ARGV, $/) = "$ph->{dir}/error_log"; <> } // '';
    ok t_cmp($log, qr/relay stream ended: .*system=\Q@{[SYS1]}\E mode=sol .*close=1001 reason="server shutting down"/,
             'the stream\'s log line says why it ended');
    ok t_cmp(scalar(() = $log =~ /relay stream ended: .*mode=sol /g), 1, 'exactly one SOL stream was logged (the restart ended none)');
    $ph->{stop}->() unless defined $exited;
}
