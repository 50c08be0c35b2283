# A small RFB 3.8 client for tests (RFC 6143), over any byte transport: a raw
# socket to amtsim's redirection port after 0x40/0x41, or a WebSocket through
# mod_amt_relay in plain mode. It keeps a copy of the framebuffer (Raw encoding,
# the server's 16 bpp RGB565 little-endian format) so tests can look at pixels.
#
#   my $c = RfbClient->new(send => sub { ... }, readn => sub { my ($n, $timeout) = @_; ... });
#   $c->handshake or die;                 # version, security None, ServerInit, SetEncodings Raw
#   $c->refresh(0);                       # full update; $c->refresh(1) waits for a change
#   $c->count(RfbClient::rgb565(0x60, 0x60, 0x60), $x, $y, $w, $h);
#   $c->key(0x31);                        # KeyEvent down + up
package RfbClient;
use strict;
use warnings;
use Time::HiRes qw(time);

sub new {
    my ($class, %o) = @_;
    return bless { send => $o{send}, readn => $o{readn}, w => 0, h => 0, fb => [] }, $class;
}

# The pixel value the server sends for an RGB888 colour (its RGB565 default format).
sub rgb565 {
    my ($r, $g, $b) = @_;
    return (int($r * 31 / 255) << 11) | (int($g * 63 / 255) << 5) | int($b * 31 / 255);
}

sub _send { my ($self, $b) = @_; return $self->{send}->($b) }
sub _read { my ($self, $n, $t) = @_; return $n ? $self->{readn}->($n, $t // 10) : '' }

# Returns 1 when the server's version, None security and ServerInit came as expected.
sub handshake {
    my $self = shift;
    my $ver = $self->_read(12) // return 0;
    $self->{server_version} = $ver;
    $self->_send("RFB 003.008\n");
    my $n = ord($self->_read(1) // return 0);
    my $types = $self->_read($n) // return 0;
    return 0 unless index($types, "\x01") >= 0;
    $self->_send("\x01");
    my $res = $self->_read(4) // return 0;
    return 0 unless unpack('N', $res) == 0;
    $self->_send("\x01");    # shared
    my $si = $self->_read(24) // return 0;
    my ($w, $h, $bpp) = unpack('nnC', $si);
    my $nl = unpack('N', substr($si, 20, 4));
    $self->{name} = $self->_read($nl) // return 0;
    return 0 unless $bpp == 16;
    @$self{qw(w h)} = ($w, $h);
    $self->{fb} = [ (0) x ($w * $h) ];
    $self->_send(pack('CCnN', 2, 0, 1, 0));    # SetEncodings: Raw only
    return 1;
}

# Reads one FramebufferUpdate into the copy; returns { rects, area } or undef.
sub update {
    my ($self, $timeout) = @_;
    my $hd = $self->_read(4, $timeout) // return undef;
    my ($type, undef, $n) = unpack('CCn', $hd);
    return undef unless $type == 0;
    my %u = (rects => 0, area => 0);
    for (1 .. $n) {
        my ($x, $y, $w, $h, $enc) = unpack('nnnnN', $self->_read(12) // return undef);
        next if $enc == 0xFFFFFF21;    # DesktopSize (not asked for)
        return undef unless $enc == 0;
        my $data = $self->_read($w * $h * 2) // return undef;
        my @px = unpack('v*', $data);
        for my $j (0 .. $h - 1) {
            @{ $self->{fb} }[ ($y + $j) * $self->{w} + $x .. ($y + $j) * $self->{w} + $x + $w - 1 ] =
                @px[ $j * $w .. $j * $w + $w - 1 ];
        }
        $u{rects}++;
        $u{area} += $w * $h;
    }
    return \%u;
}

# Asks for an update (incremental or not) and reads it; undef when none came in time
# (an incremental request is answered only when something changed).
sub refresh {
    my ($self, $incremental, $timeout) = @_;
    $self->_send(pack('CCnnnn', 3, $incremental ? 1 : 0, 0, 0, $self->{w}, $self->{h}));
    return $self->update($timeout // 5);
}

# Pixels of colour VALUE in the rectangle (whole screen by default).
sub count {
    my ($self, $value, $x, $y, $w, $h) = @_;
    ($x, $y, $w, $h) = (0, 0, $self->{w}, $self->{h}) unless defined $x;
    my $n = 0;
    for my $j ($y .. $y + $h - 1) {
        my $row = $j * $self->{w};
        for my $i ($x .. $x + $w - 1) { $n++ if $self->{fb}[ $row + $i ] == $value }
    }
    return $n;
}

# The most frequent pixel value on screen.
sub dominant {
    my $self = shift;
    my %n;
    $n{$_}++ for @{ $self->{fb} };
    return (sort { $n{$b} <=> $n{$a} } keys %n)[0];
}

sub key {
    my ($self, $keysym) = @_;
    $self->_send(pack('CCnN', 4, 1, 0, $keysym) . pack('CCnN', 4, 0, 0, $keysym));
}

# Types a string of digits (main row keysyms), then optionally Return.
sub type_digits {
    my ($self, $digits, %o) = @_;
    $self->key(($o{keypad} ? 0xFFB0 : 0x30) + $_) for split //, $digits;
    $self->key($o{keypad} ? 0xFF8D : 0xFF0D) if $o{enter};
}

1;
