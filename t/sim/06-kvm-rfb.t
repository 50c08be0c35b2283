#!/usr/bin/perl
# KVM/RFB details with an independent RFB client written here from
# docs/redirection-protocol.md §6: "RFB 004.000", security None, ServerInit RGB565 named
# "Intel(r) AMT KVM", Raw tiles of at most 64x64 covering the screen, refusal
# of >16 bpp, incremental updates only on change (or continuously with
# kvm-bulk), DesktopSize when the screen size changes, ZRLE stream decoding.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use Compress::Zlib;
use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';

my $id = '6d6d6d6d-0000-4000-8000-000000000022';
my $host = '127.0.1.22';
my $pw = 'Rfb-Test%1';
my $sim = AmtSim->new(devices => ["id=$id,addr=$host,password=$pw"]);

sub kvm {
    my $c = AmtSim::Redir->new(host => $host, port => 16994);
    $c->start('kvm') == 0 or die 'start';
    ($c->digest('admin', $pw))[0] == 0 or die 'auth';
    $c->send("\x40\0\0\0\0\0\0\0");
    return $c;
}

sub handshake {
    my ($c, $ver) = @_;
    my $sv = $c->readn(8 + 12);
    my %r = (reply41 => substr($sv // '', 0, 8), version => substr($sv // '', 8));
    $c->send($ver // "RFB 003.008\n");
    $r{sec} = $c->readn(2);
    $c->send("\x01");
    $r{result} = $c->readn(4);
    $c->send("\x01");
    my $si = $c->readn(24);
    my ($w, $h, $bpp, $depth, $be, $tc, $rm, $gm, $bm, $rs, $gs, $bs, undef, $nl) = unpack('nnCCCCnnnCCCa3N', $si);
    @r{qw(w h bpp depth be tc rmax gmax bmax rs gs bs)} = ($w, $h, $bpp, $depth, $be, $tc, $rm, $gm, $bm, $rs, $gs, $bs);
    $r{name} = $c->readn($nl);
    return \%r;
}

sub fbur { my ($c, $inc, $w, $h) = @_; $c->send(pack('CCnnnn', 3, $inc, 0, 0, $w, $h)) }

# read one FramebufferUpdate; returns list of rects {x,y,w,h,enc,data}
sub read_update {
    my ($c, $bpp, $timeout, $z) = @_;
    my $hd = $c->readn(4, $timeout) // return;
    my ($type, undef, $n) = unpack('CCn', $hd);
    return [] unless $type == 0;
    my @r;
    for (1 .. $n) {
        my ($x, $y, $w, $h, $enc) = unpack('nnnnN', $c->readn(12));
        $enc -= 2**32 if $enc >= 2**31;
        my $data = '';
        if ($enc == 0) { $data = $c->readn($w * $h * $bpp / 8) }
        elsif ($enc == 16) {
            my $len = unpack('N', $c->readn(4));
            my ($out) = $z->inflate($c->readn($len));
            $data = $out;
        }
        push @r, { x => $x, y => $y, w => $w, h => $h, enc => $enc, data => $data };
    }
    return \@r;
}

my $c = kvm();
my $s = handshake($c);
is(unpack('H*', $s->{reply41}), '4100000000000000', '0x41 reply');
is($s->{version}, "RFB 004.000\n", 'server version RFB 004.000');
is(unpack('H*', $s->{sec}), '0101', 'security list: None');
is(unpack('N', $s->{result}), 0, 'security result OK');
is("$s->{w}x$s->{h}", '720x400', 'screen size');
is("$s->{bpp}/$s->{depth}/$s->{be}/$s->{tc}", '16/16/0/1', '16 bpp, depth 16, little-endian, true colour');
is("$s->{rmax}/$s->{gmax}/$s->{bmax} $s->{rs}/$s->{gs}/$s->{bs}", '31/63/31 11/5/0', 'RGB565');
is($s->{name}, 'Intel(r) AMT KVM', 'desktop name');

$c->send(pack('CCnN', 2, 0, 1, 0)); # SetEncodings: Raw only
fbur($c, 0, 720, 400);
my $u = read_update($c, 16, 5);
my ($maxw, $maxh, $area) = (0, 0, 0);
for (@$u) { $maxw = $_->{w} if $_->{w} > $maxw; $maxh = $_->{h} if $_->{h} > $maxh; $area += $_->{w} * $_->{h} }
ok($u && @$u > 1, 'full update arrives in several rectangles');
ok($maxw <= 64 && $maxh <= 64, 'every Raw rectangle is at most 64x64');
is($area, 720 * 400, 'rectangles cover the whole screen');
my %px;
for my $r (@$u) { $px{$_}++ for unpack('v*', $r->{data}) }
my ($bg) = sort { $px{$b} <=> $px{$a} } keys %px;
ok(keys %px >= 3, 'several colours on screen (text, background, cursor)');
is(sprintf('%04x', $bg), sprintf('%04x', (0x80 * 31 / 255)), 'background pixel is dark blue in RGB565 little-endian');

# nothing changes -> an incremental request stays pending
fbur($c, 1, 720, 400);
ok(!defined read_update($c, 16, 0.6), 'incremental request without change: no update');
# the pending request is answered by the next change (a key press)
$c->send(pack('CCnN', 4, 1, 0, 0x4b)); # 'K' down
my $k = read_update($c, 16, 3);
ok($k && @$k >= 1 && @$k <= 4, 'key press answered with the few changed tiles') or diag($k ? scalar @$k : 'none');
like(scalar $sim->ctl('screen', $id), qr/amtsim\$ K/, 'key reached the host console');

# kvm-bulk: continuous changes
$sim->ctl('fault', $id, 'kvm-bulk=on');
my $t0 = time;
my $frames = 0;
for (1 .. 5) { fbur($c, 1, 720, 400); my $x = read_update($c, 16, 2); $frames++ if $x && @$x > 10 }
is($frames, 5, 'kvm-bulk: every incremental request gets a large update');
$sim->ctl('fault', $id, 'kvm-bulk=off');
fbur($c, 0, 720, 400);
read_update($c, 16, 3);

# DesktopSize: the screen grows, the client is told before the pixels
$c->send(pack('CCnNN', 2, 0, 2, 0, 0xFFFFFF21));
$sim->ctl('fault', $id, 'kvm-size=1024x768');
fbur($c, 1, 720, 400);
my $d = read_update($c, 16, 3);
is($d && $d->[0]{enc}, -223, 'DesktopSize pseudo-rectangle first');
is($d && "$d->[0]{w}x$d->[0]{h}", '1024x768', 'new size announced');
$area = 0;
$area += $_->{w} * $_->{h} for grep { $_->{enc} == 0 } @{ $d || [] };
is($area, 1024 * 768, 'followed by the whole new screen');
$c->close;
$sim->ctl('fault', $id, 'kvm-size=720x400');
sleep 0.2;

# > 16 bpp is refused by closing the connection
$c = kvm();
handshake($c);
$c->send(pack('CCCC CCCC nnn CCC CCC', 0, 0, 0, 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0, 0, 0, 0));
ok($c->eof_within(2), 'SetPixelFormat 32 bpp: connection dropped');
sleep 0.2;

# 8 bpp RGB332 + ZRLE: one zlib stream, tiles <= 64x64
$c = kvm();
handshake($c, "RFB 003.008\n");
$c->send(pack('CCCC CCCC nnn CCC CCC', 0, 0, 0, 0, 8, 8, 0, 1, 7, 7, 3, 5, 2, 0, 0, 0, 0));
$c->send(pack('CCnNN', 2, 0, 2, 16, 0));
fbur($c, 0, 720, 400);
my $z = inflateInit();
$u = read_update($c, 8, 5, $z);
my ($ok_tiles, $solid) = (1, 0);
for (@{ $u || [] }) {
    $ok_tiles = 0 unless $_->{enc} == 16 && $_->{w} <= 64 && $_->{h} <= 64;
    my $sub = ord substr($_->{data} // '', 0, 1);
    $solid++ if $sub == 1;
    $ok_tiles = 0 unless ($sub == 1 && length($_->{data}) == 2) || ($sub == 0 && length($_->{data}) == 1 + $_->{w} * $_->{h});
}
ok($u && @$u > 1 && $ok_tiles, 'ZRLE 8 bpp: every tile decodes (solid or raw CPIXELs) within 64x64');
ok($solid > 10, 'empty screen areas are sent as solid tiles');
fbur($c, 1, 720, 400);
$c->send(pack('CCnN', 4, 1, 0, 0x5a));
$u = read_update($c, 8, 3, $z);
ok($u && @$u >= 1 && length($u->[0]{data} // '') > 0, 'second update inflates with the same zlib stream');
$c->close;

is($sim->stop, 0, 'clean exit');
done_testing;
