#!/usr/bin/perl
# User consent in band (consent-mode=inband, the default), as real AMT does it in
# CCM: a KVM session without consent is accepted at 0x10, and after the RFB
# handshake the picture is AMT's code form instead of the desktop; the code shown
# on the machine's own screen (amtsimctl code), typed as RFB key events, grants
# consent like SendOptInCode and the desktop appears in a full update. Keys typed
# before consent never reach the host. SOL opens without consent; IDE-R is refused.
# consent-mode=refuse keeps the older refusal at the session start.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use RfbClient;
use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';

my $pw = 'Inb@nd-60';
my %id = (ccm => '8c3f1e52-0000-4000-8000-000000000160', refuse => '8c3f1e52-0000-4000-8000-000000000161',
          ccm2 => '8c3f1e52-0000-4000-8000-000000000162', acm => '8c3f1e52-0000-4000-8000-000000000163');
my %addr = (ccm => '127.0.1.60', refuse => '127.0.1.61', ccm2 => '127.0.1.62', acm => '127.0.1.63');
my $sim = AmtSim->new(devices => [
    "id=$id{ccm},addr=$addr{ccm},password=$pw,mode=ccm",
    "id=$id{refuse},addr=$addr{refuse},password=$pw,mode=ccm,consent-mode=refuse",
    "id=$id{ccm2},addr=$addr{ccm2},password=$pw,mode=ccm,max-failures=2,lockout=30",
    "id=$id{acm},addr=$addr{acm},password=$pw,mode=acm,consent=all",
]);

# colours of the picture (rfb.c palette, as RGB565 pixels)
my $DESKTOP = RfbClient::rgb565(0, 0, 0x80);
my $FORM = RfbClient::rgb565(0x60, 0x60, 0x60);
my $ERROR = RfbClient::rgb565(0xC0, 0, 0);
my $DIGIT = RfbClient::rgb565(0, 0, 0);
# the first digit box and the status line of the form (consent_form.c layout)
my @BOX1 = (222, 160, 36, 32);
my @STATUS = (0, 14 * 16, 720, 16);

sub redir { AmtSim::Redir->new(host => $addr{ $_[0] }, port => 16994) }

# A KVM session up to the end of the RFB handshake; ($redir, $rfb) or () when refused.
sub kvm {
    my $dev = shift;
    my $c = redir($dev);
    my $st = $c->start('kvm');
    return (undef, undef, $st) unless defined $st && $st == 0;
    ($c->digest('admin', $pw))[0] == 0 or return (undef, undef, 'auth');
    $c->send("\x40\0\0\0\0\0\0\0");
    $c->readn(8) // return (undef, undef, 'no 0x41');
    my $rfb = RfbClient->new(send => sub { $c->send($_[0]) }, readn => sub { $c->readn(@_) });
    return (undef, undef, 'rfb handshake') unless $rfb->handshake;
    return ($c, $rfb, 0);
}

# Incremental updates until COND holds (the form redraws only what changed).
sub until_picture {
    my ($rfb, $cond, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    while (time < $deadline) {
        return 1 if $cond->();
        $rfb->refresh(1, 1);
    }
    return $cond->();
}

sub optin_state_wsman {
    my $dev = shift;
    my $w = AmtSim::Wsman->new(host => $addr{$dev}, pass => $pw);
    my $r = $w->post(AmtSim::Wsman::get_xml('http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService'));
    return $r->{body} =~ /<(?:\w+:)?OptInState>(\d+)</ ? $1 : "none ($r->{status})";
}

# ---- the default is inband; a KVM session without consent opens and shows the form ----
my $st = $sim->state($id{ccm});
is($st->{consent_mode}, 'inband', 'consent-mode defaults to inband');
is($st->{optin_state}, 0, 'CCM device starts without consent (OptInState 0)');
my $screen_before = $sim->ctl('screen', $id{ccm});

my ($c, $rfb, $why) = kvm('ccm');
ok($rfb, "KVM without consent: session accepted and RFB handshake done ($why)");
SKIP: {
skip 'no KVM session', 24 unless $rfb;
ok($rfb->refresh(0), 'full framebuffer update');
my $area = $rfb->{w} * $rfb->{h};
cmp_ok($rfb->count($FORM), '>', $area / 2, 'the picture is the consent form (mostly its grey)');
is($rfb->count($DESKTOP), 0, 'no desktop pixel is shown while consent is missing');
$st = $sim->state($id{ccm});
is("$st->{inband_form} $st->{inband_prompts} $st->{inband_typed} $st->{inband_status}", '1 1 0 enter',
   'state: form shown once, nothing typed, status "enter"');
is($st->{optin_state}, 2, 'the session started the consent code (OptInState 2, DISPLAYED)');
is($st->{kvm_active}, 1, 'the KVM session counts as open');
my ($rc, $code) = $sim->ctl('code', $id{ccm});
chomp $code;
like($code, qr/^\d{6}$/, 'amtsimctl code reports the code AMT shows locally');

# ---- keys typed before consent go to the form, never to the host ----
$rfb->key(ord 'Z');
$rfb->key(0x31);
ok(until_picture($rfb, sub { $rfb->count($DIGIT, @BOX1) > 0 }), 'a typed digit shows in the first box');
is($sim->state($id{ccm})->{inband_typed}, 1, 'one digit typed (the letter was swallowed)');
$rfb->key(0xFF08);
ok(until_picture($rfb, sub { $rfb->count($DIGIT, @BOX1) == 0 }), 'BackSpace empties the box again');
is($sim->state($id{ccm})->{inband_typed}, 0, 'BackSpace deleted the digit');
is($sim->ctl('screen', $id{ccm}), $screen_before, 'nothing typed before consent reached the host screen');

# ---- a wrong code: error on the form, counted as a wrong SendOptInCode ----
my $wrong = sprintf '%06d', ($code + 1) % 1000000;
$rfb->type_digits($wrong, keypad => 1, enter => 1);
ok(until_picture($rfb, sub { $rfb->count($ERROR, @STATUS) > 0 }), 'wrong code: an error (red text) on the status line');
$st = $sim->state($id{ccm});
is("$st->{inband_wrong} $st->{inband_status} $st->{inband_form} $st->{optin_state}", '1 wrong 1 2',
   'state: one wrong code, status "wrong", form still up, code still displayed');
is($rfb->count($DESKTOP), 0, 'still no desktop after a wrong code');

# ---- the right code: consent granted, the whole desktop in one update ----
$rfb->type_digits(substr($code, 0, 3));
$rfb->type_digits(substr($code, 3), keypad => 1, enter => 1);
my $full;
my $deadline = time + 10;
while (time < $deadline && !$full) {
    my $u = $rfb->refresh(1, 1) or next;
    $full = $u if $rfb->count($DESKTOP) > 0;
}
ok($full, 'right code: the desktop appears');
is($full && $full->{area}, $area, 'as a full framebuffer update (every tile sent)');
is($rfb->count($FORM), 0, 'no trace of the form left');
$st = $sim->state($id{ccm});
is("$st->{inband_granted} $st->{inband_form} $st->{inband_status}", '1 0 granted', 'state: consent granted in band, form gone');
is($st->{optin_state}, 4, 'OptInState 4 (IN SESSION) in the control channel');
is(optin_state_wsman('ccm'), 4, 'IPS_OptInService Get over WS-Man: OptInState 4');
($rc) = $sim->ctl('code', $id{ccm});
is($rc, 1, 'the code is gone from the local screen');

# after consent, keys reach the host (the control for "not delivered" above)
$rfb->key(ord 'Q');
ok(until_picture($rfb, sub { $sim->ctl('screen', $id{ccm}) =~ /amtsim\$ Q\s*$/m }), 'after consent a key reaches the host console');
$c->close;
ok($sim->idle($id{ccm}), 'session closed');
is($sim->state($id{ccm})->{optin_state}, 3, 'consent stays RECEIVED (3) after the session');
}

# ---- a second session with consent still valid opens straight to the desktop ----
($c, $rfb) = kvm('ccm');
ok($rfb && $rfb->refresh(0) && $rfb->count($DESKTOP) > 0 && !$rfb->count($FORM), 'consent valid: next KVM session shows the desktop');
is($sim->state($id{ccm})->{inband_prompts}, 1, 'no new form for it');
$c->close if $c;
$sim->idle($id{ccm});

# ---- SOL opens without consent in CCM and ACM (consent=all); IDE-R does not ----
for my $dev (qw(ccm2 acm)) {
    my $s = redir($dev);
    is($s->start('sol'), 0, "$dev: SOL session accepted without consent");
    is(($s->digest('admin', $pw))[0], 0, "$dev: authenticated");
    $s->sol_start(hb => 0);
    ok($s->sol_expect(qr/amtsim\$ $/), "$dev: SOL banner and prompt: the host talks");
    $s->close;
    is($sim->state($id{$dev})->{optin_state}, 0, "$dev: still no consent (OptInState 0)");
}
is(redir('ccm2')->start('ider'), 3, 'IDE-R without consent: refused (USER_CONSENT_REQUIRED)');
$sim->idle($id{ccm2});

# ---- lock-out after max-failures wrong codes typed into the form ----
($c, $rfb) = kvm('ccm2');
SKIP: {
skip 'no KVM session', 4 unless $rfb;
$rfb->refresh(0);
(undef, my $code2) = $sim->ctl('code', $id{ccm2});
chomp $code2;
my $bad = sprintf '%06d', ($code2 + 500000) % 1000000;
$rfb->type_digits($bad, enter => 1);
ok(until_picture($rfb, sub { $sim->state($id{ccm2})->{inband_wrong} == 1 }), 'first wrong code counted');
$rfb->type_digits($bad, enter => 1);
ok(until_picture($rfb, sub { $sim->state($id{ccm2})->{inband_status} eq 'locked' }), 'second wrong code (max-failures=2): locked');
$st = $sim->state($id{ccm2});
is("$st->{inband_wrong} $st->{optin_state} $st->{inband_form}", '2 0 1', 'code withdrawn (OptInState 0), form stays up');
$rfb->type_digits($code2, enter => 1);
sleep 0.3;
is($sim->state($id{ccm2})->{inband_granted}, 0, 'the old code no longer grants anything during the lock-out');
$c->close;
}
$sim->idle($id{ccm2});

# ---- consent-mode=refuse: the older refusal at the session start ----
is(redir('refuse')->start('kvm'), 3, 'refuse: CCM KVM without consent refused at 0x10');
is(redir('refuse')->start('sol'), 3, 'refuse: CCM SOL (consent=all) refused at 0x10');
is($sim->state($id{refuse})->{inband_prompts}, 0, 'refuse: no form');
is(scalar $sim->ctl('fault', $id{refuse}, 'consent-mode=inband'), '', 'consent-mode is a run-time knob');
is(redir('refuse')->start('kvm'), 0, 'switched to inband: KVM accepted');
$sim->idle($id{refuse});
my ($brc) = $sim->ctl('fault', $id{refuse}, 'consent-mode=maybe');
is($brc, 1, 'consent-mode=maybe refused');
is($sim->state($id{refuse})->{consent_mode}, 'inband', 'a bad value changes nothing');

is($sim->stop, 0, 'clean exit');
done_testing;
