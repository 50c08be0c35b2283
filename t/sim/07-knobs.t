#!/usr/bin/perl
# Fault and load knobs, set at run time through amtsimctl: WS-Man latency and
# connection cap, down (unreachable), slow reader, SOL bulk output, reset-stats.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';

my $id = '7e7e7e7e-0000-4000-8000-000000000023';
my $host = '127.0.1.23';
my $pw = 'Kn0bs!abc';
my $sim = AmtSim->new(devices => ["id=$id,addr=$host,password=$pw"]);
my $ws = AmtSim::Wsman->new(host => $host, pass => $pw);
my $gs = AmtSim::Wsman::get_xml('http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings');

my $r = $ws->post($gs);
is($r->{status}, 200, 'baseline WS-Man call (MeshCommander-style digest header: unquoted qop/nc)');
like($r->{body}, qr/<g:HostName>amtsim-7e7e7e7e</, 'answer body');

# latency
my $t0 = time;
$ws->post($gs);
my $fast = time - $t0;
is(scalar $sim->ctl('fault', $id, 'wsman-latency=400'), '', 'set wsman-latency=400');
$t0 = time;
$r = $ws->post($gs);
my $slow = time - $t0;
ok($r->{status} == 200 && $slow >= 0.4 && $slow > $fast, 'latency applied to each call') or diag("fast $fast slow $slow");
$sim->ctl('fault', $id, 'wsman-latency=0');

# connection cap
$sim->ctl('fault', $id, 'wsman-max-conn=2');
my @idle = map { IO::Socket::INET->new(PeerHost => $host, PeerPort => 16992) } 1 .. 2;
sleep 0.2;
my $third = IO::Socket::INET->new(PeerHost => $host, PeerPort => 16992);
my $rin = '';
vec($rin, fileno($third), 1) = 1;
my $got = select(my $rout = $rin, undef, undef, 2) ? sysread($third, my $buf, 10) : -1;
ok(defined $got ? $got == 0 : 1, 'third concurrent connection is reset (cap 2)') or diag("read $got");
close $_ for @idle;
sleep 0.3;
is($ws->post($gs)->{status}, 200, 'below the cap again: answered');
$sim->ctl('fault', $id, 'wsman-max-conn=0');

# down: nothing answers
$sim->ctl('fault', $id, 'down=on');
sleep 0.3;
my $wd = AmtSim::Wsman->new(host => $host, pass => $pw, timeout => 1.5);
$t0 = time;
$r = $wd->_request($gs);
ok($r->{status} == 0 && time - $t0 >= 1.4, 'down: request not answered');
is(AmtSim::Redir->new(host => $host, port => 16994)->start('sol'), undef, 'down: redirection port silent');
$sim->ctl('fault', $id, 'down=off');
sleep 0.4;
is($ws->post($gs)->{status}, 200, 'down=off: answered again');

# SOL bulk output throughput
my $c = AmtSim::Redir->new(host => $host, port => 16994);
$c->start('sol');
$c->digest('admin', $pw);
$c->sol_start(hb => 0, rxto => 0);
$c->sol_expect(qr/amtsim\$ $/);
$sim->ctl('fault', $id, 'sol-bulk=on');
my ($bytes, $msgs) = (0, 0);
$t0 = time;
while (time - $t0 < 1) {
    my ($type, $p) = $c->sol_msg(1);
    last unless defined $type;
    $bytes += length $p, $msgs++ if $type == 0x2A;
}
$sim->ctl('fault', $id, 'sol-bulk=off');
cmp_ok($bytes, '>', 200_000, "sol-bulk streams continuously ($bytes bytes in 1 s)");
$c->close;
sleep 0.3;

# slow reader: a 3000-byte input takes the device visibly longer to consume
sub time_input {
    my $s = AmtSim::Redir->new(host => $host, port => 16994);
    $s->start('sol');
    $s->digest('admin', $pw);
    $s->sol_start(hb => 0, rxto => 0);
    $s->sol_expect(qr/amtsim\$ $/);
    my $t = time;
    $s->sol_send(('z' x 3000) . "\r");
    my $out = $s->sol_expect(qr/not found/, 10);
    my $dt = time - $t;
    $s->close;
    sleep 0.3;
    return defined $out ? $dt : 99;
}
my $normal = time_input();
$sim->ctl('fault', $id, 'slow-reader=on');
my $slowr = time_input();
$sim->ctl('fault', $id, 'slow-reader=off');
ok($normal < 0.5 && $slowr >= 0.8, 'slow-reader: input drained slowly') or diag("normal $normal slow $slowr");

# stats
my $st = $sim->state($id);
cmp_ok($st->{wsman_calls}, '>=', 5, 'wsman_calls counted');
cmp_ok($st->{redir_sessions}, '>=', 3, 'redir_sessions counted');
is(scalar $sim->ctl('reset-stats', $id), '', 'reset-stats');
$st = $sim->state($id);
is("$st->{wsman_calls}/$st->{redir_sessions}", '0/0', 'counters reset');
my ($rc) = $sim->ctl('fault', $id, 'no-such-knob=1');
is($rc, 1, 'unknown knob: amtsimctl exits 1');
($rc) = $sim->ctl('state', 'no-such-device');
is($rc, 1, 'unknown device: amtsimctl exits 1');

is($sim->stop, 0, 'clean exit');
done_testing;
