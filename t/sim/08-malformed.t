#!/usr/bin/perl
# Garbage and hostile input on every port: the device answers with an error or
# closes, never crashes or hangs, and keeps serving well-formed clients.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';

my $id = '8f8f8f8f-0000-4000-8000-000000000024';
my $host = '127.0.1.24';
my $pw = 'Malf0rm!ed';
my $sim = AmtSim->new(devices => ["id=$id,addr=$host,password=$pw"]);

# send bytes, return (reply, closed?) within 3 s
sub poke {
    my ($port, $bytes) = @_;
    my $s = IO::Socket::INET->new(PeerHost => $host, PeerPort => $port, Timeout => 3) or return ('', 1);
    syswrite $s, $bytes if length $bytes;
    my ($out, $closed) = ('', 0);
    my $limit = time + 3;
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    while (time < $limit) {
        select(my $r = $rin, undef, undef, 0.2) or next;
        my $n = sysread($s, my $buf, 65536);
        if (!$n) { $closed = 1; last }
        $out .= $buf;
    }
    close $s;
    return ($out, $closed);
}

my ($o, $c);
($o, $c) = poke(16992, "GARBAGE\r\n\r\n");
like($o, qr{^HTTP/1\.1 400}, 'HTTP garbage: 400');
($o, $c) = poke(16992, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
like($o, qr{^HTTP/1\.1 404}, 'GET /: 404');
($o, $c) = poke(16992, "POST /wsman HTTP/1.1\r\n" . ("X-Long: " . ('a' x 1000) . "\r\n") x 40 . "\r\n");
like($o, qr{^HTTP/1\.1 400}, 'oversized header: 400');
($o, $c) = poke(16992, "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n");
like($o, qr{^HTTP/1\.1 400}, 'bad chunk size: 400');
($o, $c) = poke(16992, "POST /wsman HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc");
like($o, qr{^HTTP/1\.1 400}, 'huge Content-Length: 400');
($o, $c) = poke(16992, "POST /wsman HTTP/1.1\r\nContent-Length: -5\r\n\r\n");
like($o, qr{^HTTP/1\.1 400}, 'negative Content-Length: 400');
($o, $c) = poke(16992, "POST /wsman HTTP/1.1\r\nContent-Length: 2\r\nAuthorization: Digest username=\"admin\",realm=\"x\r\n\r\nab");
like($o, qr{^HTTP/1\.1 401}, 'broken Authorization header: 401');

($o, $c) = poke(16994, "\xff" x 64);
ok($c && $o eq '', 'redirection garbage: closed without a reply');
($o, $c) = poke(16994, "\x13\0\0\0\x04\xff\xff\xff\x7f");
ok($c && $o eq '', 'auth before session start: closed');
($o, $c) = poke(16994, "\x10\0\0\0SOL \x13\0\0\0\x04\xff\xff\xff\x7f");
ok($c, 'huge auth length: closed');
($o, $c) = poke(16994, "\x10\0\0\0SOL \x13\0\0\0\x04\x05\0\0\0\x20abcd");
ok($c, 'auth elements overrunning their length: closed');
($o, $c) = poke(16994, "\x10\0\0\0SOL \x20" . ("\0" x 23));
ok($c, 'SOL start without authentication: closed');
($o, $c) = poke(16994, "\x10\0\0\0XXXX");
is(ord(substr($o, 1, 1)), 1, 'unknown session tag: status 1');

# authenticated garbage
my $r = AmtSim::Redir->new(host => $host, port => 16994);
$r->start('sol');
$r->digest('admin', $pw);
$r->sol_start(hb => 0, rxto => 0);
$r->sol_expect(qr/amtsim\$ $/);
$r->send("\x28\0\0\0\0\0\0\0\xff\xff" . ("\x01" x 100));  # claims 65535 bytes, sends 100
$r->send("\x99\x99\x99\x99\x99\x99\x99\x99");
sleep 0.3;
$r->close;
my $k = AmtSim::Redir->new(host => $host, port => 16994);
$k->start('kvm');
$k->digest('admin', $pw);
$k->send("\x40\0\0\0\0\0\0\0");
$k->readn(20);
$k->send("RFB 003.008\n");
$k->readn(2);
$k->send("\x01");
$k->readn(4);
$k->send("\x01");
$k->readn(40);
$k->send("\x02\0\xff\xff");              # SetEncodings with 65535 entries: refused
ok($k->eof_within(3), 'RFB SetEncodings count too large: closed');
$k = AmtSim::Redir->new(host => $host, port => 16994);
$k->start('kvm');
$k->digest('admin', $pw);
$k->send("\x40\0\0\0\0\0\0\0");
$k->readn(20);
$k->send("RFB 003.008\n");
$k->readn(2);
$k->send("\x01");
$k->readn(4);
$k->send("\x01");
$k->readn(40);
$k->send(pack('CCCC CCCC nnn CCC CCC', 0, 0, 0, 0, 16, 16, 0, 1, 31, 63, 31, 200, 5, 0, 0, 0, 0));
ok($k->eof_within(3), 'RFB SetPixelFormat with a shift beyond the pixel: closed');
$k = AmtSim::Redir->new(host => $host, port => 16994);
$k->start('kvm');
$k->digest('admin', $pw);
$k->send("\x40\0\0\0\0\0\0\0");
$k->readn(20);
$k->send("RFB 009.999\n");
ok($k->eof_within(3), 'unknown RFB version: closed');

# control socket garbage
my ($rc, $out) = $sim->ctl('x' x 900);
is($rc, 1, 'control: unknown command refused');
($rc) = $sim->ctl('power', $id, 'sideways');
is($rc, 1, 'control: bad power value refused');

# still healthy
my $ws = AmtSim::Wsman->new(host => $host, pass => $pw);
is($ws->post(AmtSim::Wsman::get_xml('http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings'))->{status}, 200, 'WS-Man still answers');
my $ok = AmtSim::Redir->new(host => $host, port => 16994);
is($ok->start('sol'), 0, 'redirection still answers');
is(($ok->digest('admin', $pw))[0], 0, 'and authenticates');
$ok->close;
is($sim->stop, 0, 'clean exit');
done_testing;
