# Consent in band, end to end (docs/consent.md): a CCM device that requires consent
# for everything, behind a private httpd whose main server keeps the defaults
# (RedfishKVMConsent redfish, RedfishSOLConsent required) and whose second virtual
# host says RedfishKVMConsent inband and RedfishSOLConsent amt.
#  - defaults: no KVM or SOL token without a consent obtained through Redfish;
#  - amt: a SOL token is issued without consent and SOL carries text;
#  - inband: a KVM token is issued without consent, the relay opens in plain RFB
#    mode, the picture is AMT's code form, the code read from the simulator
#    (amtsimctl code) typed as RFB KeyEvents through the relay grants consent in
#    the device and the desktop appears; Redfish then reports Granted.
# Its own amtsim (127.0.0.60) so that the consent it grants touches no other test.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin", "$FindBin::Bin/../lib";
use Apache::Test;
use Apache::TestUtil;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time);
use RelayTest;
use Test::More ();
sub diag { Test::More::diag(@_) }

BEGIN { $ENV{BUILDDIR} ||= $ENV{RFAMT_BUILDDIR} if $ENV{RFAMT_BUILDDIR} }
use AmtSim;
use RfbClient;

plan tests => 26;

my $SYS = '8c3f1e52-0000-4000-8000-000000000060';
my $PW = 'P@ssw0rd-inband-60';
my $sim = eval { AmtSim->new(devices => ["id=$SYS,addr=127.0.0.60,mode=ccm,password=$PW"]) };
my $port2 = do { my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1); my $p = $s->sockport; close $s; $p };
my $ph = $sim && private_httpd(name => 'inband', conf => <<"CONF");
LogLevel warn amt_relay:info redfish_amt:trace1
RedfishStateCacheTTL 100
<AmtDevice $SYS>
 AmtHost 127.0.0.60
 AmtTLS off
 AmtUser admin
 AmtPassword $PW
</AmtDevice>
Listen 127.0.0.1:$port2
<VirtualHost 127.0.0.1:$port2>
 ServerName 127.0.0.1
 RedfishKVMConsent inband
 RedfishSOLConsent amt
</VirtualHost>
CONF
ok t_cmp($ph ? 1 : 0, 1, 'amtsim (CCM, consent for everything) and a private httpd started') or diag($@ // 'no sim');

SKIP: {
    Test::More::skip('no private httpd', 22) unless $ph;
    my $inband = "http://127.0.0.1:$port2";
    my $hp2 = "127.0.0.1:$port2";
    my $log = "$ph->{dir}/error_log";

    # ---- the defaults: consent through Redfish first, for KVM and SOL ----
    my $t = get_token_at($ph->{base}, $SYS, 'kvm');
    ok t_cmp($t ? 'issued' : $@, qr/^token action: 403/, 'RedfishKVMConsent redfish (default): no KVM token without consent');
    $t = get_token_at($ph->{base}, $SYS, 'sol');
    ok t_cmp($t ? 'issued' : $@, qr/^token action: 403/, 'RedfishSOLConsent required (default): no SOL token without consent');

    # ---- RedfishSOLConsent amt: SOL without consent, as AMT allows ----
    my $log_at = -s $log;
    $t = get_token_at($inband, $SYS, 'sol');
    ok t_cmp($t ? 1 : 0, 1, 'RedfishSOLConsent amt: SOL token issued without consent') or diag($@);
    ok t_cmp(log_since($log, $log_at), qr/SOL token for \Q$SYS\E .*RedfishSOLConsent amt/, 'the decision is in the trace log');
    my $r = ws_handshake(url => relay_url(host => $SYS, mode => 'sol'), proto => $t // 'x', hostport => $hp2);
    ok t_cmp($r->{status}, 101, 'SOL upgrade');
    ok t_cmp(sol_echo($r, 'inband' . int(rand 1e6)), 1, 'SOL carries text without consent');
    ws_send($r, 8, pack('n', 1000)) if $r->{sock};
    close $r->{sock} if $r->{sock};
    ok t_cmp($sim->state($SYS)->{optin_state}, 0, 'no consent was given for it (OptInState 0)');
    ok t_cmp($sim->idle($SYS, 10) ? 1 : 0, 1, 'SOL session ended');

    # ---- RedfishKVMConsent inband: the token, then the code typed into the picture ----
    $log_at = -s $log;
    $t = get_token_at($inband, $SYS, 'kvm');
    ok t_cmp($t ? 1 : 0, 1, 'RedfishKVMConsent inband: KVM token issued without consent') or diag($@);
    ok t_cmp(log_since($log, $log_at), qr/KVM token for \Q$SYS\E .*RedfishKVMConsent inband/, 'the decision is in the trace log');
    my $get = sub {
        require LWP::UserAgent;
        my $tok = RelayTest::session_token('admin', 'admin-pw', $inband);
        my $res = LWP::UserAgent->new(timeout => 15)->get("$inband/redfish/v1/Systems/$SYS", 'X-Auth-Token' => $tok);
        return eval { JSON::PP->new->decode($res->content) } || {};
    };
    ok t_cmp($get->()->{Oem}{Intel}{UserConsentStatus} // '', qr/^(Required|Requested)$/,
             'Redfish stays truthful: UserConsentStatus is not Granted before the code');

    # an RFB client over the WebSocket's binary frames
    my $rfb_over = sub {
        my ($ws, $in) = @_;
        $in //= '';
        return RfbClient->new(
            send => sub { ws_send($ws, 2, $_[0]) },
            readn => sub {
                my ($n, $timeout) = @_;
                my $deadline = time + $timeout;
                while (length($in) < $n) {
                    my $left = $deadline - time;
                    return undef if $left <= 0;
                    my ($op, $p) = ws_recv($ws, $left);
                    return undef unless defined $op;
                    $in .= $p if $op == 2;
                }
                return substr($in, 0, $n, '');
            });
    };
    my $FORM = RfbClient::rgb565(0x60, 0x60, 0x60);
    my $DESKTOP = RfbClient::rgb565(0, 0, 0x80);

    # p=2 (the AMT protocol itself, as the DMT ui-toolkit speaks it): the form too
    my $t2 = get_token_at($inband, $SYS, 'kvm');
    $r = ws_handshake(url => relay_url(host => $SYS, mode => 'kvm', p => 2, port => 16994, tls => 0),
                      proto => $t2 // 'x', hostport => $hp2);
    my ($op, $p, $acc) = (undef, undef, '');
    ws_send($r, 2, pack('H*', '100100004b564d52'));           # StartRedirectionSession KVMR
    ($op, $p) = ws_recv($r, 5);
    my $started = unpack('H*', substr($p // '', 0, 2)) eq '1100';
    ws_send($r, 2, pack('H*', '1300000004080000000000000000000000'));    # empty digest request
    ws_recv($r, 5);
    # a final digest from empty strings: the relay replaces it with the stored credentials
    ws_send($r, 2, pack('H*', '1300000004') . pack('V', 8 + 32) . ("\0" x 6) . chr(32) . ('0' x 32) . "\0");
    ($op, $p) = ws_recv($r, 5);
    my $authed = unpack('H*', substr($p // '', 0, 2)) eq '1400';
    ws_send($r, 2, pack('H*', '4000000000000000'));
    for (1 .. 5) { ($op, $p) = ws_recv($r, 3); last unless defined $op; $acc .= $p; last if length $acc >= 8 }
    my $rfb2 = $rfb_over->($r, substr($acc, 8));
    my $shown = $started && $authed && $rfb2->handshake && $rfb2->refresh(0, 10)
        && $rfb2->count($FORM) > $rfb2->{w} * $rfb2->{h} / 2 && !$rfb2->count($DESKTOP);
    ok t_cmp($shown ? 1 : 0, 1, 'p=2: KVM without consent through the relay shows the form too');
    ws_send($r, 8, pack('n', 1000)) if $r->{sock};
    ws_close_expect($r, 3);
    close $r->{sock} if $r->{sock};
    $sim->idle($SYS, 10);

    $r = ws_handshake(url => relay_url(host => $SYS, mode => 'kvm'), proto => $t // 'x', hostport => $hp2);
    ok t_cmp($r->{status}, 101, 'KVM upgrade (plain RFB)');
    my $rfb = $rfb_over->($r);
    ok t_cmp($rfb->handshake ? 1 : 0, 1, 'RFB handshake through the relay');
    $rfb->refresh(0, 10);
    my $area = ($rfb->{w} || 1) * ($rfb->{h} || 1);
    ok t_cmp($rfb->count($FORM) > $area / 2 && $rfb->count($DESKTOP) == 0 ? 1 : 0, 1,
             'the picture is AMT\'s consent form, no desktop');
    my $st = $sim->state($SYS);
    ok t_cmp("$st->{inband_form} $st->{optin_state}", '1 2', 'the device shows the form and its code locally (OptInState 2)');
    my $code = $sim->ctl('code', $SYS);
    chomp $code;
    ok t_cmp($code, qr/^\d{6}$/, 'amtsimctl code');

    $rfb->type_digits($code, enter => 1);
    my $deadline = time + 15;
    while (time < $deadline && !$rfb->count($DESKTOP)) { $rfb->refresh(1, 1) }
    ok t_cmp($rfb->count($DESKTOP) > 0 && $rfb->count($FORM) == 0 ? 1 : 0, 1, 'the code typed through the relay: the desktop appears');
    $st = $sim->state($SYS);
    ok t_cmp("$st->{inband_granted} $st->{optin_state}", '1 4', 'the device granted consent in band (OptInState 4, in session)');
    ok t_cmp($get->()->{Oem}{Intel}{UserConsentStatus} // '', 'Granted', 'Redfish now reports Granted');
    $rfb->key(ord 'K');
    $deadline = time + 10;
    my $echo = 0;
    while (time < $deadline && !$echo) { $rfb->refresh(1, 1); $echo = $sim->ctl('screen', $SYS) =~ /amtsim\$ K\s*$/m }
    ok t_cmp($echo ? 1 : 0, 1, 'after consent the keyboard reaches the host');
    ws_send($r, 8, pack('n', 1000));
    ws_close_expect($r, 3);
    close $r->{sock} if $r->{sock};
    ok t_cmp($sim->idle($SYS, 10) ? 1 : 0, 1, 'KVM session ended');

    $ph->{stop}->();
}
# a mistyped value stops the server at start-up with the directive's name
for my $bad (['RedfishKVMConsent maybe', qr/RedfishKVMConsent must be redfish or inband, not 'maybe'/],
             ['RedfishSOLConsent never', qr/RedfishSOLConsent must be required or amt, not 'never'/]) {
    my $x = private_httpd(name => 'inband-bad', conf => "$bad->[0]\n");
    $x->{stop}->() if $x;
    ok t_cmp($x ? 'started' : $@, $bad->[1], "'$bad->[0]' refused at start-up");
}
ok t_cmp($sim ? $sim->stop : -1, 0, 'amtsim exits cleanly');
