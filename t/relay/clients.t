# Real third-party clients through mod_amt_relay (issue 5):
#  - stock noVNC (core/rfb.js) in headless Chromium, plain KVM: pixels decoded,
#    a key press typed through noVNC changes the next frame;
#  - xterm.js in headless Chromium on the plain SOL WebSocket: command + output;
#  - the DMT ui-toolkit redirector under node (ws), p=2 with EMPTY credentials:
#    KVM reaches RFB ServerInit, SOL round-trips text.
# The browser / node parts are t/relay-js/*.js; they report JSON, we assert here.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use JSON::PP;
use RelayTest;
use Test::More ();
sub diag { Test::More::diag(@_) }

my $src = "$FindBin::Bin/../..";
my $have_node = -x '/usr/bin/node' && -d "$src/node_modules/playwright-core";
my $have_chromium = -x ($ENV{CHROMIUM} // '/usr/bin/chromium');
my $probe = get_token(SYS1, 'sol');
plan tests => 31, need {
    'Redfish GenerateRedirectionToken available' => defined $probe,
    'node + npm modules (npm ci)' => $have_node,
    'Debian chromium' => $have_chromium,
};

my $cfg = Apache::Test::config();
my ($host, $port) = ($cfg->{vars}{servername}, $cfg->{vars}{port});
my $base = "http://$host:$port";
my $ctl = "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}";
my $json = JSON::PP->new->canonical;
my $artifacts = "$src/build/test-artifacts/relay";
system('mkdir', '-p', $artifacts);

sub node_json {
    my ($script, $arg) = @_;
    my $a = $json->encode($arg);
    $a =~ s/'/'\\''/g;
    my $outp = `timeout 90 node $src/t/relay-js/$script '$a' 2>>$artifacts/node-stderr.log`;
    my ($line) = grep { /^\{/ } reverse split /\n/, $outp;
    my $res = eval { $json->decode($line // '') } || { errors => ["no JSON from $script: $outp"] };
    diag("$script errors: @{ $res->{errors} }") if @{ $res->{errors} || [] };
    return $res;
}
sub word { join '', 'w', map { ('a' .. 'z')[int rand 26] } 1 .. 8 }
sub screen { my $s = `$ctl screen @{[SYS1]} 2>/dev/null`; $s =~ s/^ok\n//; $s }

# ---------------- 1. noVNC, plain KVM ----------------
# start from a known screen: "clear" through a SOL stream, then one line of host text
{
    my $r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => get_token(SYS1, 'sol'));
    ws_send($r, 2, "clear\r") if $r->{sock};
    sleep 1;
    if ($r->{sock}) { ws_send($r, 8, pack('n', 1000)); ws_close_expect($r, 3); close $r->{sock} }
    wait_stream_gone(SYS1, 'sol');
}
wait_stream_gone(SYS1, 'kvm');
system("$ctl type @{[SYS1]} relay-novnc-test: the quick brown fox >/dev/null 2>&1");
my $w = word();
my $tok = get_token(SYS1, 'kvm');
my $r = node_json('browser.js', { mode => 'novnc', base => $base, token => $tok, word => $w,
    ws => "ws://$host:$port" . relay_url(host => SYS1, mode => 'kvm'), shot => "$artifacts/novnc.png" });
ok t_cmp($r->{page_status}, 200, 'noVNC test page (imports core/rfb.js) served by the test httpd');
ok t_cmp(scalar(grep { $_->{ev} eq 'connect' } @{ $r->{events} || [] }), 1, 'noVNC: connect event (RFB handshake through the relay)');
my ($dn) = map { $_->{detail}{name} } grep { $_->{ev} eq 'desktopname' } @{ $r->{events} || [] };
ok t_cmp($dn, 'Intel(r) AMT KVM', 'noVNC: desktop name from ServerInit (low-colour AMT path)');
ok t_cmp(($r->{width} // 0) > 0 && ($r->{height} // 0) > 0 ? 1 : 0, 1, "noVNC: framebuffer $r->{width}x$r->{height}");
ok t_cmp(($r->{text_rows} // 0) >= 2 ? 1 : 0, 1, "noVNC: decoded canvas has non-uniform text rows ($r->{text_rows} of $r->{rows})");
ok t_cmp(($r->{text_rows} // 0) < ($r->{rows} // 0) ? 1 : 0, 1, 'noVNC: and uniform background rows (not noise)');
ok t_cmp($r->{diff_seen} ? 1 : 0, 1, 'noVNC: canvas changed after the key presses');
my @bands = sort { $a <=> $b } keys %{ $r->{diff}{bands} || {} };
ok t_cmp(@bands >= 1 && @bands <= 3 ? 1 : 0, 1, "noVNC: the change is confined to the text row(s) being typed (bands @bands)");
my $scr = screen();
ok t_cmp($scr, qr/echo \Q$w\E/, 'simulator screen shows the keys typed through noVNC');
ok t_cmp(scalar(@{ $r->{errors} || [] }), 0, 'noVNC: no page errors');
wait_stream_gone(SYS1, 'sol');

# ---------------- 3. xterm.js, plain SOL ----------------
$w = word();
$tok = get_token(SYS1, 'sol');
$r = node_json('browser.js', { mode => 'xterm', base => $base, token => $tok, word => $w,
    ws => "ws://$host:$port" . relay_url(host => SYS1, mode => 'sol'), shot => "$artifacts/xterm.png" });
ok t_cmp($r->{page_status}, 200, 'xterm test page served');
ok t_cmp($r->{first_event}{ev} // '', 'open', 'xterm: WebSocket open through the relay');
ok t_cmp($r->{protocol_echoed} ? 1 : 0, 1, 'xterm: browser accepted the echoed token subprotocol');
ok t_cmp($r->{output_line_found} ? 1 : 0, 1, "xterm: command output '$w' read from the terminal buffer");
ok t_cmp(scalar(grep { /echo \Q$w\E/ } @{ $r->{lines} || [] }), 1, 'xterm: the typed command line is in the buffer');
ok t_cmp(scalar(@{ $r->{errors} || [] }), 0, 'xterm: no page errors');
ok t_cmp(wait_stream_gone(SYS1, 'kvm') && wait_stream_gone(SYS1, 'sol'), 1, 'browser streams released by the relay');

# ---------------- 2. DMT ui-toolkit, p=2, empty credentials ----------------
$w = word();
my $kt = get_token(SYS1, 'kvm');
my $st = get_token(SYS1, 'sol');
my $before = `$ctl state @{[SYS1]}`;
my ($fail0) = $before =~ /redir_auth_fail=(\d+)/;
$r = node_json('uitoolkit.js', { server => "ws://$host:$port/relay", host => SYS1,
    kvm_token => $kt, sol_token => $st, word => $w });
ok t_cmp($r->{kvm}{url} // '', qr/webrelay\.ashx\?p=2&host=\Q@{[SYS1]}\E.*mode=kvm/, 'ui-toolkit built its own p=2 URL');
ok t_cmp($r->{kvm}{http}, 101, 'ui-toolkit KVM: upgraded');
ok t_cmp($r->{kvm}{protocol}, $kt, 'ui-toolkit KVM: token echoed');
ok t_cmp((grep { /^1300000004/ } @{ $r->{kvm}{first_sent} || [] }) ? 1 : 0, 1,
         'ui-toolkit sent an empty-credential digest request (user "")');
ok t_cmp($r->{kvm}{server_init} ? 1 : 0, 1, "ui-toolkit KVM: RFB ServerInit received ($r->{kvm}{width}x$r->{kvm}{height})");
ok t_cmp($r->{kvm}{frame} && $r->{kvm}{colours} >= 2 ? 1 : 0, 1, "ui-toolkit KVM: a frame decoded ($r->{kvm}{colours} colours)");
ok t_cmp($r->{sol}{http}, 101, 'ui-toolkit SOL: upgraded');
ok t_cmp($r->{sol}{connected} ? 1 : 0, 1, 'ui-toolkit SOL: 0x21 StartSOLRedirection reply, session up');
ok t_cmp($r->{sol}{round_trip_output} ? 1 : 0, 1, "ui-toolkit SOL: '$w' round-trips (command echo + output)");
my $after = `$ctl state @{[SYS1]}`;
my ($fail1) = $after =~ /redir_auth_fail=(\d+)/;
ok t_cmp($fail1 // -1, $fail0 // -2, 'simulator saw no failed digest (the relay answered with the stored credentials)');
ok t_cmp(scalar(@{ $r->{errors} || [] }), 0, 'ui-toolkit: no exceptions');
wait_stream_gone(SYS1, 'sol');

# The device answers BUSY for the first 0.8 s (a session that just ended is still being
# torn down, as after a reload of the page): the relay asks again (AmtRelayBusyWait),
# replaying the toolkit's own session start, and the toolkit never sees the BUSY.
my $busy0 = sim_value(SYS1, 'redir_busy');
$w = word();
$st = get_token(SYS1, 'sol');
system("$ctl fault @{[SYS1]} busy=on >/dev/null 2>&1");
system("(sleep 0.8; $ctl fault @{[SYS1]} busy=off >/dev/null 2>&1) &");
$r = node_json('uitoolkit.js', { server => "ws://$host:$port/relay", host => SYS1, sol_token => $st,
    word => $w, only => 'sol' });
system("$ctl fault @{[SYS1]} busy=off >/dev/null 2>&1");
my $busy_answers = sim_value(SYS1, 'redir_busy') - $busy0;
ok t_cmp($r->{sol}{connected} && $r->{sol}{round_trip_output} ? 1 : 0, 1,
         "ui-toolkit SOL to a device busy for 0.8 s: connected, '$w' round-trips");
ok t_cmp($busy0 >= 0 && $busy_answers >= 2 ? 1 : 0, 1, "while AMT answered BUSY $busy_answers times");
ok t_cmp($r->{sol}{first_received}[0] // '', qr/^1100/, 'the first message the toolkit got is AMT\'s OK (0x11, status 0)');
wait_stream_gone(SYS1, 'sol');
