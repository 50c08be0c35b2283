#!/usr/bin/perl
# Redirection protocol details with an independent client (AmtSim::Redir):
# digest with every nc/cnonce format real clients send, RFC 2069, wrong
# password, BUSY, disabled services, listener off, CCM consent refusal,
# SOL framing (separate first writes, heartbeats not echoed, RxTimeout,
# 0x22/0x23), over plain TCP and TLS.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use Time::HiRes qw(time sleep);
$SIG{PIPE} = "IGNORE";

my $ca = AmtSim::test_ca();
my $pw = 'P@ssw0rd';
my %id = (a => '0a0a0a0a-0000-4000-8000-000000000001', tls => '0a0a0a0a-0000-4000-8000-000000000002',
          off => '0a0a0a0a-0000-4000-8000-000000000003', ccm => '0a0a0a0a-0000-4000-8000-000000000004');
my $sim = AmtSim->new(devices => [
    "id=$id{a},addr=127.0.1.14,password=$pw",
    "id=$id{tls},addr=127.0.1.15,password=$pw,tls=on,cert=$ca/server.pem,key=$ca/server-key.pem",
    "id=$id{off},addr=127.0.1.16,password=$pw,sol=off,kvm=off",
    "id=$id{ccm},addr=127.0.1.17,password=$pw,mode=ccm",
]);
sub client { AmtSim::Redir->new(host => $_[0], port => $_[1] // 16994, @_[2 .. $#_]) }
# wait until the device has released its sessions (a closed client is noticed asynchronously)
sub idle {
    my $id = shift // $id{a};
    for (1 .. 100) { my $s = $sim->state($id); return if !$s->{sol_active} && !$s->{kvm_active}; sleep 0.05 }
}

# session manager + query
my $c = client('127.0.1.14');
$c->send("\x10\0\0\0SOL ");
my $h = $c->readn(13);
is(length($h // ''), 13, '0x11 reply is 13 bytes');
is(ord(substr($h, 1, 1)), 0, 'status success') if $h;
is(ord(substr($h, 4, 1)), 1, 'byte 4 = 1 (protocol major)') if $h;
is_deeply($c->query, [3, 4], 'query lists RFC2069 and RFC2617 digest (no plain auth on AMT >= 7)');

# digest formats (docs/redirection-protocol.md §4.5)
my @formats = (
    ['amtterm master / MeshCommander', '0123456789abcdef0123456789abcdef', '00000002'],
    ['MPS relay',                      'a1b2c3d4e5',                       '00000001'],
    ['MeshCentral relay',              'a1b2c3d4e5',                       '1'],
    ['DMT console relay',              '9f8e7d6c5b',                       '0000000a'],
    ['9front',                         'fedcba9876543210fedcba9876543210', '00000001'],
);
my $n = 0;
for my $f (@formats) {
    my $cc = $n++ ? client('127.0.1.14') : $c;
    $cc->start('sol') if $n > 1;
    my ($st) = $cc->digest('admin', $pw, cnonce => $f->[1], nc => $f->[2]);
    is($st, 0, "digest accepted: $f->[0] (cnonce $f->[1], nc $f->[2])");
    $cc->close;
    idle();
}
{
    my $cc = client('127.0.1.14');
    $cc->start('sol');
    is($cc->plain('admin', $pw), 2, 'plain auth (type 1) not supported by default');
    ok($cc->eof_within(2), 'and the connection is closed');
    idle();
    $sim->ctl('fault', $id{a}, 'plain-auth=on');
    $cc = client('127.0.1.14');
    is($cc->start('sol'), 0, 'new session');
    is_deeply($cc->query, [1, 3, 4], 'plain-auth=on: query lists 1, 3, 4');
    is($cc->plain('admin', $pw), 0, 'plain auth accepted');
    $cc->close;
    idle();
    $cc = client('127.0.1.14');
    $cc->start('sol');
    is($cc->plain('admin', 'bad'), 1, 'plain auth, wrong password: 1');
    idle();
    $sim->ctl('fault', $id{a}, 'plain-auth=off');
}
{
    my $cc = client('127.0.1.14');
    $cc->start('sol');
    my ($st) = $cc->digest('admin', $pw, type => 3);
    is($st, 0, 'RFC 2069 digest (type 3) accepted');
    $cc->close;
    idle();
}
{
    my $cc = client('127.0.1.14');
    $cc->start('sol');
    my ($st) = $cc->digest('admin', 'not-the-password');
    is($st, 1, 'wrong password: status 1 (FAILURE)');
    ok($cc->eof_within(2), 'wrong password: connection closed');
    idle();
}
{
    my $cc = client('127.0.1.14');
    $cc->start('sol');
    my ($st) = $cc->digest('admin', $pw, tamper => sub { my $r = shift; $r =~ tr/0-9a-f/1-9a-f0/; $r });
    is($st, 1, 'tampered response refused');
    idle();
}
{
    my $cc = client('127.0.1.14');
    $cc->start('sol');
    my ($st) = $cc->digest('admin', $pw, tamper => sub { '' });
    is($st, 1, 'empty response (the 2017 bypass) refused');
}
idle();

# one SOL session per device: the second gets BUSY
my $s1 = client('127.0.1.14');
is($s1->start('sol'), 0, 'first SOL session started');
is(($s1->digest('admin', $pw))[0], 0, 'first SOL session authenticated');
my $s2 = client('127.0.1.14');
is($s2->start('sol'), 2, 'second SOL session: BUSY (2)');
ok($s2->eof_within(2), 'BUSY closes the connection');
my $k = client('127.0.1.14');
is($k->start('kvm'), 0, 'a KVM session is still allowed while SOL runs');
$k->close;

# SOL framing
my $t0 = time;
my $rep = $s1->sol_start(hb => 500, rxto => 3000);
is(length($rep // ''), 23, '0x21 is exactly 23 bytes');
is(ord(substr($rep, 0, 1)), 0x21, '0x21 type') if $rep;
is(length($s1->{buf}), 0, '0x21 arrived in its own write (nothing coalesced)');
my ($type, $p) = $s1->sol_msg;
is($type, 0x29, 'then 0x29 controls from host');
is(ord(substr($p, 8, 1)) & 4, 4, '0x29 status: host powered on') if defined $p;
my $banner = $s1->sol_expect(qr/amtsim\$ $/);
ok($banner, 'banner and prompt arrive as 0x2A');
my $tok = 'x' . int(rand(1e6));
$s1->sol_send("echo $tok\r");
like($s1->sol_expect(qr/\Q$tok\E\r\n.*amtsim\$ $/s) // '', qr/echo \Q$tok\E\r\n\Q$tok\E\r\n/, 'echo command round trip');
$s1->sol_send("nosuchcmd\r");
like($s1->sol_expect(qr/not found/) // '', qr/nosuchcmd: command not found/, 'unknown command reported');
# heartbeats: AMT sends them (Heartbeat=500 ms); we send one and must not get it echoed
my (@hb, $echoed);
$s1->send(pack('CCCCV', 0x2B, 0, 0, 0, 0x77777777));
my $limit = time + 1.6;
while (time < $limit) {
    my ($ty, $pl) = $s1->sol_msg($limit - time);
    last unless defined $ty;
    if ($ty == 0x2B) {
        push @hb, unpack('V', substr($pl, 3, 4));
        $echoed = 1 if unpack('V', substr($pl, 3, 4)) == 0x77777777;
    }
}
cmp_ok(scalar @hb, '>=', 2, 'AMT-side heartbeats arrive every Heartbeat ms');
ok(!$echoed, 'our heartbeat was not echoed');
ok($hb[1] > $hb[0], 'AMT sequence numbers increase') if @hb >= 2;
# orderly end
$s1->send(pack('CCCCV', 0x22, 0, 0, 0, 9));
my ($ety, $epl);
do { ($ety, $epl) = $s1->sol_msg(2) } while (defined $ety && $ety != 0x23);
is($ety, 0x23, '0x22 answered with 0x23');
$s1->send("\x12\0\0\0");
ok($s1->eof_within(2), '0x12 ends the session');
sleep 0.2;

# RxTimeout watchdog: no traffic from the console for RxTimeout ms -> closed
my $w = client('127.0.1.14');
$w->start('sol');
$w->digest('admin', $pw);
$w->sol_start(hb => 0, rxto => 1000);
my $tw = time;
ok($w->eof_within(4), 'silent console is dropped by the RxTimeout watchdog');
cmp_ok(time - $tw, '>=', 0.9, 'not before RxTimeout');
sleep 0.2;

# busy knob, listener off, disabled services, CCM consent
is(scalar $sim->ctl('fault', $id{a}, 'busy=on'), '', 'fault busy=on accepted');
is(client('127.0.1.14')->start('sol'), 2, 'busy knob: BUSY');
$sim->ctl('fault', $id{a}, 'busy=off');
is(client('127.0.1.14')->start('sol'), 0, 'busy=off: accepted again');
is(client('127.0.1.16')->start('sol'), 3, 'SOL disabled (EnabledState): refused');
is(client('127.0.1.16')->start('kvm'), 3, 'KVM disabled: refused');
# consent-mode=refuse: the refusal at the session start (real AMT asks in band
# instead; 11-consent-inband.t tests that default)
is(scalar $sim->ctl('fault', $id{ccm}, 'consent-mode=refuse'), '', 'consent-mode=refuse accepted');
is(client('127.0.1.17')->start('kvm'), 3, 'CCM without consent: KVM refused');
is(client('127.0.1.17')->start('sol'), 3, 'CCM (consent=all) without consent: SOL refused');

# TLS redirection port
my $tc = client('127.0.1.15', 16995, tls => 1, ca => "$ca/ca.pem");
is($tc->start('sol'), 0, 'TLS: session start');
is(($tc->digest('admin', $pw))[0], 0, 'TLS: digest accepted');
ok($tc->sol_start(hb => 0) && $tc->sol_expect(qr/amtsim\$ $/), 'TLS: SOL banner');
$tc->close;

# drop-after knob cuts the stream
$sim->ctl('fault', $id{a}, 'drop-after=150');
sleep 0.3;
my $d = client('127.0.1.14');
$d->start('sol');
$d->digest('admin', $pw);
$d->sol_start(hb => 0);
ok($d->eof_within(3), 'drop-after: stream cut');
$sim->ctl('fault', $id{a}, 'drop-after=0');

is($sim->stop, 0, 'clean exit');
done_testing;
