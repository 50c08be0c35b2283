# mod_amt_relay refusals and limits that need real devices (issue 5):
#  TLS to AMT verified by the test CA (and refused when the redirection port shows
#  an untrusted or misnamed certificate), expired token, consent missing / lapsed,
#  a clean 502 for an unreachable redirection port with a VALID token, the global
#  stream cap (503, live streams untouched; private httpd because the cap is
#  server-wide), and the idle timeout over real HTTP.
# Devices 0x15-0x18 and <VirtualHost relay_short> come from t/conf/relay-extra.conf.in.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use JSON::PP;
use Time::HiRes qw(time sleep);
use RelayTest;
use Test::More ();
sub diag { Test::More::diag(@_) }

use constant SYS_CLOSED   => '8c3f1e52-0000-4000-8000-000000000015';
use constant SYS_UNTRUSTED => '8c3f1e52-0000-4000-8000-000000000016';
use constant SYS_WRONGSAN => '8c3f1e52-0000-4000-8000-000000000017';
use constant SYS_WRONGPIN => '8c3f1e52-0000-4000-8000-000000000018';
use constant SYS_PIN_BAD  => '8c3f1e52-0000-4000-8000-000000000019';  # written at run time
use constant SYS_PIN_OK   => '8c3f1e52-0000-4000-8000-00000000001a';

my $expiring = get_token(SYS1, 'sol');
my $t_expiring = time;
plan tests => 73, need { 'Redfish GenerateRedirectionToken available' => defined $expiring };

my $ctl = "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}";
my $state = $ENV{RFAMT_STATEDIR};
my ($r, $t, $code, $reason);
sub word { join '', 'w', map { ('a' .. 'z')[int rand 26] } 1 .. 8 }
sub bye { my $r = shift; return unless $r->{sock}; ws_send($r, 8, pack('n', 1000)); ws_close_expect($r, 3); close $r->{sock} }

# ================= 4. TLS device =================
$t = get_token(SYS3, 'sol');
$r = ws_handshake(url => relay_url(host => SYS3, mode => 'sol'), proto => $t);
ok t_cmp($r->{status}, 101, 'TLS device (16995, AmtTLSCA): SOL upgrade');
ok t_cmp(sol_echo($r, word()), 1, 'TLS device: SOL text round-trips');
bye($r);
# Type 1 (the password in the clear) is fine inside TLS: the device offers only that.
my $tls_plain_logins = sub { sim_value(SYS3, 'redir_plain_logins') };
my $plain0 = $tls_plain_logins->();
system("$ctl fault @{[SYS3]} plain-auth=only >/dev/null 2>&1");
wait_stream_gone(SYS3, 'sol');
$t = get_token(SYS3, 'sol');
$r = ws_handshake(url => relay_url(host => SYS3, mode => 'sol'), proto => $t);
ok t_cmp(sol_echo($r, word()), 1, 'type-1-only device over TLS: the relay logs in, SOL works');
bye($r);
wait_stream_gone(SYS3, 'sol');
# p=2 asking for type 1, even over verified TLS: refused (any token holder could ask
# the relay to put the stored password on the wire in clear)
$t = get_token(SYS3, 'sol');
$r = ws_handshake(url => relay_url(host => SYS3, mode => 'sol', p => 2, port => 16995, tls => 1), proto => $t);
ws_send($r, 2, pack('H*', '10000000534f4c20'));
my ($op11, $m11) = ws_recv($r, 3);
ws_send($r, 2, pack('H*', '1300000001020000000000'));
($code, $reason) = ws_close_expect($r, 3);
ok t_cmp($code, 1008, 'p=2 type-1 login over verified TLS: close 1008, no clear-text login');
close $r->{sock};
system("$ctl fault @{[SYS3]} plain-auth=off >/dev/null 2>&1");
wait_stream_gone(SYS3, 'sol');
ok t_cmp($tls_plain_logins->(), $plain0 + 1, 'amtsim saw exactly one type-1 login: the relay\'s own, over verified TLS');

# the redirection port shows other certificates: an openssl s_server per case
my $tls = "$state/relay-tls";
system("mkdir -p $tls && cd $tls && "
     . "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=untrusted -addext subjectAltName=IP:127.0.0.4 "
     . "  -keyout self-key.pem -out self.pem 2>/dev/null && "
     . "openssl req -newkey rsa:2048 -nodes -subj /CN=wrong-name -keyout san-key.pem -out san.csr 2>/dev/null && "
     . "printf 'subjectAltName=DNS:wrong.example,IP:127.0.0.99\\n' > san.ext && "
     . "openssl x509 -req -in san.csr -CA $state/ca/ca.pem -CAkey $state/ca/ca-key.pem -CAcreateserial "
     . "  -days 2 -extfile san.ext -out san.pem 2>/dev/null");
my @servers;
sub s_server {
    my ($port, $cert, $key) = @_;
    my $pid = fork // die;
    if (!$pid) {
        open STDIN, '<', '/dev/null'; open STDOUT, '>', '/dev/null'; open STDERR, '>', "$tls/s_server-$port.log";
        exec 'timeout', '120', 'openssl', 's_server', '-accept', "127.0.0.4:$port", '-cert', $cert, '-key', $key, '-quiet';
        exit 127;
    }
    push @servers, $pid;
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.4', PeerPort => $port, Timeout => 1);
        if ($s) { close $s; return 1 }
        sleep 0.1;
    }
    return 0;
}
END { kill 'TERM', @servers if @servers }
ok t_cmp(s_server(17995, "$tls/self.pem", "$tls/self-key.pem") && s_server(17996, "$tls/san.pem", "$tls/san-key.pem"),
         1, 'test TLS servers up (self-signed; CA-signed with a wrong name)');
$t = get_token(SYS_UNTRUSTED, 'sol') or diag("token: $@");
ok t_cmp(defined $t ? 1 : 0, 1, 'token issued for the device (its WS-Man side verifies fine)');
$r = ws_handshake(url => relay_url(host => SYS_UNTRUSTED, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 502, 'untrusted certificate on the redirection port: 502 before the upgrade');
ok t_cmp($r->{body} // '', qr/certif|verif|TLS/i, "reason names TLS verification ($r->{body})");
$t = get_token(SYS_WRONGSAN, 'sol') or diag("token: $@");
$r = ws_handshake(url => relay_url(host => SYS_WRONGSAN, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 502, 'CA-signed certificate without the device address in its SAN: 502');
ok t_cmp($r->{body} // '', qr/certif|verif|TLS|name|SAN/i, "reason ($r->{body})");
# a wrong AmtTLSPin fails closed already at WS-Man: no token, so no stream
my $res = redfish_post('/redfish/v1/Systems/' . SYS_WRONGPIN . '/Actions/Oem/IntelComputerSystem.GenerateRedirectionToken',
                       { Mode => 'SOL' });
ok t_cmp($res->code, qr/^5\d\d$/, 'wrong AmtTLSPin: no token for that device (' . $res->code . ')');
# --- AmtTLSPin checked by the relay itself: pinned to this run's simulator certificate
# (WS-Man on 16993 matches, so a token is issued), the redirection port shows another one.
my $pin = `openssl x509 -in $state/ca/server.pem -outform DER | sha256sum`;
$pin =~ s/\s.*//s;
open my $pf, '>', "$state/relay-pin.conf" or die "$state/relay-pin.conf: $!";
print $pf "<AmtDevice @{[SYS_PIN_BAD]}>\n AmtHost 127.0.0.4\n AmtUser admin\n AmtPassword P\@ssw0rd-tls-3\n",
          " AmtTLS on\n AmtTLSPin sha256/$pin\n AmtRedirectionPort 17995\n AmtIdentityCheck off\n</AmtDevice>\n",
          "<AmtDevice @{[SYS_PIN_OK]}>\n AmtHost 127.0.0.4\n AmtUser admin\n AmtPassword P\@ssw0rd-tls-3\n",
          " AmtTLS on\n AmtTLSPin sha256/$pin\n AmtIdentityCheck off\n</AmtDevice>\n";
close $pf;
chmod 0644, "$state/relay-pin.conf";
my $pidfile = Apache::Test::config()->{vars}{t_logs} . '/httpd.pid';
my $hpid = do { local (@ARGV, $/) = $pidfile; <> } // '';
chomp $hpid;
kill 'USR1', $hpid if $hpid =~ /^\d+$/;   # graceful restart: re-reads the configuration
my $seen_dev = 0;
for (1 .. 100) {
    my $res = Apache::TestRequest::GET('/redfish/v1/Systems/' . SYS_PIN_OK, 'X-Auth-Token' => RelayTest::session_token('admin', 'admin-pw'));
    if ($res->code != 404 && $res->code != 0 && $res->code < 500) { $seen_dev = 1; last }
    sleep 0.2;
}
ok t_cmp($seen_dev, 1, 'graceful restart picked up the pinned devices');
$t = get_token(SYS_PIN_OK, 'sol') or diag("token: $@");
$r = ws_handshake(url => relay_url(host => SYS_PIN_OK, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 101, 'AmtTLSPin matching the device certificate: SOL opens');
ok t_cmp(sol_echo($r, word()), 1, 'and carries text');
bye($r);
$t = get_token(SYS_PIN_BAD, 'sol') or diag("token: $@");
ok t_cmp(defined $t ? 1 : 0, 1, 'token issued (WS-Man matches the pin)');
$r = ws_handshake(url => relay_url(host => SYS_PIN_BAD, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 502, 'redirection port certificate does not match AmtTLSPin: 502 before the upgrade');
ok t_cmp($r->{body} // '', qr/pin/i, "reason names the pin ($r->{body})");
kill 'TERM', @servers; @servers = ();

# ================= 5. token failures =================
# --- unreachable redirection port, with a token that is valid ---
$t = get_token(SYS_CLOSED, 'sol') or diag("token: $@");
ok t_cmp(defined $t ? 1 : 0, 1, 'token issued for the device whose redirection port is closed');
$r = ws_handshake(url => relay_url(host => SYS_CLOSED, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 502, 'unreachable AMT: exactly 502 (the token was accepted)');
ok t_cmp($r->{body} // '', qr/connect|refused|unreachable/i, "reason ($r->{body})");
ok t_cmp(exists $r->{headers}{upgrade} ? 1 : 0, 0, 'no Upgrade header on the refusal');
$t = get_token(SYS_CLOSED, 'sol');
$r = ws_handshake(url => relay_url(host => SYS_CLOSED, mode => 'sol'), proto => $t // 'x');
ok t_cmp($r->{status}, 502, 'again 502 (the failed attempt did not leave a stream slot behind, no 409)');

# --- consent (CCM device 2, consent=all) ---
my $sys2 = SYS2;
my $act = "/redfish/v1/Systems/$sys2/Actions/Oem/IntelComputerSystem";
$res = redfish_post("$act.GenerateRedirectionToken", { Mode => 'SOL' });
ok t_cmp($res->code, 403, 'CCM device without consent: Redfish refuses the token (403)');
redfish_post("$act.CancelSOLConsent", {});
$res = redfish_post("$act.RequestSOLConsent", {});
ok t_cmp($res->is_success ? 1 : 0, 1, 'RequestSOLConsent (' . $res->code . ')');
my $cc;
for (1 .. 30) { my $o = `$ctl code $sys2 2>/dev/null`; if ($o =~ /^(?:ok\n)?(\d{6})\s*$/m) { $cc = $1; last } sleep 0.2 }
ok t_cmp($cc // '', qr/^\d{6}$/, 'consent code on the simulated screen')
    or diag(`$ctl code $sys2 2>&1`, `$ctl state $sys2 2>&1`, $res->content);
$res = redfish_post("$act.SubmitSOLConsentCode", { ConsentCode => $cc // '000000' });
ok t_cmp($res->is_success ? 1 : 0, 1, 'SubmitSOLConsentCode (' . $res->code . ')');
my $ta = get_token(SYS2, 'sol') or diag("token A: $@");
my $tb = get_token(SYS2, 'sol') or diag("token B: $@");
$r = ws_handshake(url => relay_url(host => SYS2, mode => 'sol'), proto => $ta // 'x');
ok t_cmp($r->{status}, 101, 'consent granted: SOL to the CCM device opens');
ok t_cmp(sol_echo($r, word()), 1, 'and carries text');
bye($r);
wait_stream_gone(SYS2, 'sol');
redfish_post("$act.CancelSOLConsent", {});
sleep 2.5; # RedfishStateCacheTTL 2000: the relay's check must see the lapse
$r = ws_handshake(url => relay_url(host => SYS2, mode => 'sol'), proto => $tb // 'x');
ok t_cmp($r->{status}, 403, 'consent withdrawn after issuance: token refused at the upgrade (403)');
ok t_cmp($r->{body} // '', qr/consent/i, "reason: consent ($r->{body})");

# ================= 6. caps =================
# --- idle timeout over real HTTP: <VirtualHost relay_short> has AmtRelayIdleTimeout 2 ---
my $vh = vhost_hostport('relay_short');
wait_stream_gone(SYS1, 'sol');
# a token works only at the virtual host that issued it: take it from this one
$t = get_token_at("http://$vh", SYS1, 'sol') or diag("token: $@");
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t // 'x', hostport => $vh);
ok t_cmp($r->{status}, 101, 'SOL on the short-idle virtual host');
my $alive = 1;
my $t0 = time;
for (1 .. 4) { sleep 1.2 if $_ > 1; $t0 = time; $alive &&= sol_echo($r, word(), 3) }  # ~4 s of activity > 2 s idle
ok t_cmp($alive, 1, 'a busy stream outlives the idle timeout');
($code, $reason) = ws_close_expect($r, 8);
my $took = time - $t0;
ok t_cmp($code // 0, 1001, "idle stream closed with 1001 ($reason)");
ok t_cmp($took >= 1.5 && $took <= 4.5 ? 1 : 0, 1, sprintf('after ~2 s of client silence (%.1f s since the last client frame)', $took));
ws_send($r, 8, pack('n', 1000));
my $eof = !defined((ws_recv($r, 3))[0]);
ok t_cmp($eof ? 1 : 0, 1, 'TCP closed after the close handshake');
close $r->{sock};
# the main server (AmtRelayIdleTimeout 60) does not close a 3 s silent stream
wait_stream_gone(SYS1, 'sol');
$t = get_token(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
($code) = ws_close_expect($r, 3.5);
ok t_cmp(defined $code ? 1 : 0, 0, 'main server: 3.5 s of silence does not close the stream');
ok t_cmp(sol_echo($r, word()), 1, 'and it still works');
bye($r);

# --- slow and stopped clients under a SOL flood, on the short-idle hosts (2 s), over
#     plain TCP and over TLS (mod_ssl between the relay and the socket) ---
my $log_file = Apache::Test::config()->{vars}{t_logs} . '/error_log';
sub flood_stream {
    my ($hostport, $tls) = @_;
    wait_stream_gone(SYS1, 'sol');
    system("$ctl fault @{[SYS1]} sol-bulk=on >/dev/null 2>&1");
    my $tok = get_token_at(($tls ? 'https' : 'http') . "://$hostport", SYS1, 'sol') or diag("token: $@");
    return ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $tok // 'x', hostport => $hostport, tls => $tls);
}
sub flood_off { system("$ctl fault @{[SYS1]} sol-bulk=off >/dev/null 2>&1") }
sub slow_and_stopped_clients {
    my ($hostport, $tls, $how) = @_;
    # every byte arrives, in order: 4 MB of numbered lines, none lost, doubled or damaged
    my $s = flood_stream($hostport, $tls);
    ok t_cmp($s->{status}, 101, "$how: bulk SOL upgrade");
    my ($text, $bytes, $bad, $prev, $lines) = ('', 0, 0, undef, 0);
    my $t_end = time + 15;
    while ($bytes < 4_000_000 && time < $t_end) {
        my ($op, $p) = ws_recv($s, 5);
        last unless defined $op;
        next unless $op == 2;
        $bytes += length $p;
        $text .= $p;
        my @l = split /\r\n/, $text, -1;
        $text = pop @l;
        for (@l) {
            if (/^amtsim bulk (\d{10}) ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234$/) {
                $bad++ if defined $prev && $1 != $prev + 1;
                $prev = $1;
                $lines++;
            } elsif (defined $prev) {
                $bad++;   # before the first bulk line: the console's own output
            }
        }
    }
    ok t_cmp($lines > 40_000 && !$bad ? 1 : 0, 1, "$how: $lines consecutive bulk lines intact ($bad bad)");
    bye($s);
    flood_off();

    # a client that stops reading: its input still reaches AMT, and the stream is
    # given up after AmtRelayIdleTimeout (2 s) without progress
    my $log_at = -s $log_file // 0;
    $s = flood_stream($hostport, $tls);
    my $t_open = time;
    ok t_cmp($s->{status}, 101, "$how: bulk SOL; the client never reads from here on");
    sleep 0.8;   # the host prints without pause: every buffer towards the client fills
    my @c1 = stream_counters(SYS1, 'sol');
    for (1 .. 10) { ws_send($s, 2, "\r" x 100); sleep 0.05 }   # Enter: leaves the console line empty
    sleep 0.3;
    my @c2 = stream_counters(SYS1, 'sol');
    diag("$how, while stalled: to_amt $c1[0] -> $c2[0], to_client $c1[1] -> $c2[1]") if @c1 && @c2;
    # (the kernel may still open the window a crack: a trickle, against megabytes before)
    ok t_cmp(@c1 && @c2 && $c1[1] > 0 && $c2[1] - $c1[1] < $c1[1] / 10 ? 1 : 0, 1, "$how: output to the client is stalled (it reads nothing)");
    ok t_cmp(@c1 && @c2 && $c2[0] >= $c1[0] + 1000 ? 1 : 0, 1, "$how: yet its 1000 typed bytes still went to AMT meanwhile");
    # it keeps typing, so it is not idle: only the stall can end the stream
    my $gone;
    while (time - $t_open < 8) {
        ws_send($s, 2, "\r") or last;
        if (!stream_counters(SYS1, 'sol')) { $gone = time - $t_open; last }
        sleep 0.2;
    }
    ok t_cmp(defined $gone && $gone >= 1.5 && $gone <= 5 ? 1 : 0, 1,
             sprintf('%s: stalled stream given up after ~2 s without progress (%s s after the upgrade)', $how, $gone // 'not'));
    flood_off();
    close $s->{sock};
    my $log = log_since($log_file, $log_at);
    ok t_cmp($log =~ /relay stream ended: .*system=\Q@{[SYS1]}\E mode=sol .*close=1006 reason="client stopped reading/ ? 1 : 0,
             1, "$how: one log line says the client stopped reading");
    wait_stream_gone(SYS1, 'sol');
    my $tok = get_token(SYS1, 'sol');
    $s = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $tok);
    ok t_cmp(sol_echo($s, word()), 1, "$how: the device takes a new SOL stream right after");
    bye($s);

    # a slow client (about 130 KB/s) under the same flood is slow, not stalled: it
    # must keep its stream for 6 s, three times the idle time
    $s = flood_stream($hostport, $tls);
    ok t_cmp($s->{status}, 101, "$how: bulk SOL for a slow reader");
    my ($got, $closed, $next_key) = (0, 0, 0);
    my $t_slow = time;
    while (time - $t_slow < 6) {
        if (time >= $next_key) { ws_send($s, 2, "\r") or do { $closed = 1; last }; $next_key = time + 0.5 }
        my $n = sysread($s->{sock}, my $chunk, 8192);
        if (!$n) { $closed = 1; last }
        $got += $n;
        # a close frame (0x88) from the relay ends the test early
        if (index($chunk, "\x88") >= 0 && !stream_counters(SYS1, 'sol')) { $closed = 1; last }
        sleep 0.05;
    }
    diag(sprintf('%s, slow reader: %.0f KB in %.1f s', $how, $got / 1024, time - $t_slow));
    ok t_cmp($closed ? 0 : 1, 1, "$how: a slow reader keeps its stream well past the idle time");
    ok t_cmp($got > 300_000 ? 1 : 0, 1, sprintf('%s: and it kept receiving (%d KB)', $how, $got / 1024));
    flood_off();
    close $s->{sock};
}
slow_and_stopped_clients($vh, 0, 'plain');
slow_and_stopped_clients(vhost_hostport('relay_tls'), 1, 'TLS');

# --- global cap: a private httpd with AmtRelayMaxStreams 2 ---
my $devs = join '', map { "<AmtDevice $_->[0]>\n AmtHost $_->[1]\n AmtUser admin\n $_->[2]\n$_->[3]</AmtDevice>\n" }
    [SYS1, '127.0.0.2', "AmtPasswordFile $state/acm-1.pw", " AmtTLS off\n"],
    [SYS3, '127.0.0.4', 'AmtPassword P@ssw0rd-tls-3', " AmtTLS on\n AmtTLSCA $state/ca/ca.pem\n"];
my $ph = private_httpd(name => 'cap', conf => "AmtRelayMaxStreams 2\nAmtRelayIdleTimeout 60\n$devs");
ok t_cmp(defined $ph ? 1 : 0, 1, 'private httpd with AmtRelayMaxStreams 2 started') or diag($@);
SKIP: {
    Test::More::skip('no private httpd', 10) unless $ph;
    my @live;
    for ([SYS1, 'sol'], [SYS3, 'sol']) {
        my $tk = get_token_at($ph->{base}, @$_) or diag("token: $@");
        push @live, ws_handshake(url => relay_url(host => $_->[0], mode => $_->[1]), proto => $tk // 'x', hostport => $ph->{hostport});
    }
    ok t_cmp(join(',', map { $_->{status} } @live), '101,101', 'two live streams (the cap)');
    my $tk = get_token_at($ph->{base}, SYS1, 'kvm');
    $r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm'), proto => $tk // 'x', hostport => $ph->{hostport});
    ok t_cmp($r->{status}, 503, 'third stream: 503');
    ok t_cmp($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
    ok t_cmp($r->{body} // '', qr/AmtRelayMaxStreams|limit/, "reason ($r->{body})");
    ok t_cmp(sol_echo($live[0], word()), 1, 'live stream 1 untouched');
    ok t_cmp(sol_echo($live[1], word()), 1, 'live stream 2 (TLS) untouched');
    # the refused request did not burn its token: once a slot frees, the same token works
    bye($live[1]);
    my $deadline = time + 5;   # the relay frees the slot once the AMT session has ended
    do {
        sleep 0.2;
        $r = ws_handshake(url => relay_url(host => SYS1, mode => 'kvm'), proto => $tk // 'x', hostport => $ph->{hostport});
    } while ($r->{status} == 503 && time < $deadline);
    ok t_cmp($r->{status}, 101, 'after one stream ends, the same (unburnt) token opens the third stream');
    my ($op, $p) = ws_recv($r, 3);
    ok t_cmp(substr($p // '', 0, 12), "RFB 004.000\n", 'and it is a working KVM stream');
    bye($r);
    ok t_cmp(sol_echo($live[0], word()), 1, 'stream 1 still alive at the end');
    bye($live[0]);
    my $log = do { local (@ARGV, $/) = "$ph->{dir}/error_log"; <> } // '';
    ok t_cmp(scalar(() = $log =~ /relay refused .* \(503\)/g) >= 1 ? 1 : 0, 1, 'refusal logged');
    $ph->{stop}->();
}

# --- expired token (RedfishTokenLifetime 30 in the suite; waited out here) ---
my $left = 31.5 - (time - $t_expiring);
sleep $left if $left > 0;
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $expiring);
ok t_cmp($r->{status}, 401, 'expired token refused (401)');
ok t_cmp($r->{body} // '', qr/expired/, "reason: expired ($r->{body})");
