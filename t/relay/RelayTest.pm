# Helpers for the mod_amt_relay Apache::Test files: a small RFC 6455 client on a
# raw socket (so every handshake header and frame can be broken on purpose) and
# Redfish token issuance.
package RelayTest;
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha1_base64);
use JSON::PP;
use Apache::Test;
use Apache::TestRequest ();
use Exporter 'import';

our @EXPORT = qw(ws_handshake ws_send ws_recv ws_close_expect get_token relay_url
                 SYS1 SYS2 SYS3 SYS4 SYS_UNKNOWN);

use constant SYS1 => '8c3f1e52-0000-4000-8000-000000000001';
use constant SYS2 => '8c3f1e52-0000-4000-8000-000000000002';
use constant SYS3 => '8c3f1e52-0000-4000-8000-000000000003';
use constant SYS4 => '8c3f1e52-0000-4000-8000-000000000004';
use constant SYS_UNKNOWN => '8c3f1e52-0000-4000-8000-0000000000ff';

sub hostport {
    my $cfg = Apache::Test::config();
    return ($cfg->{vars}{servername}, $cfg->{vars}{port});
}

sub relay_url {
    my (%q) = @_;
    my $path = delete $q{path} // '/relay/webrelay.ashx';
    my @kv = map { "$_=$q{$_}" } grep { defined $q{$_} } sort keys %q;
    return $path . (@kv ? '?' . join('&', @kv) : '');
}

# Opens a TCP connection and sends an upgrade request. %o: url, headers (hashref,
# undef value removes a default header), method, proto (token offered).
# Returns { status, headers, body, sock, raw }.
sub ws_handshake {
    my (%o) = @_;
    my ($host, $port) = hostport();
    my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 10)
        or die "connect: $!";
    binmode $sock;
    my $key = encode_base64(join('', map { chr(int rand 256) } 1 .. 16), '');
    my %h = (
        'Host' => "$host:$port",
        'Upgrade' => 'websocket',
        'Connection' => 'Upgrade',
        'Sec-WebSocket-Key' => $key,
        'Sec-WebSocket-Version' => '13',
        (defined $o{proto} ? ('Sec-WebSocket-Protocol' => $o{proto}) : ()),
    );
    while (my ($k, $v) = each %{ $o{headers} || {} }) {
        if (defined $v) { $h{$k} = $v } else { delete $h{$k} }
    }
    my $req = ($o{method} || 'GET') . " $o{url} HTTP/1.1\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
    print $sock $req;
    # read the head
    my $buf = '';
    my $sel = IO::Select->new($sock);
    while ($buf !~ /\r\n\r\n/) {
        last unless $sel->can_read(10);
        my $n = sysread($sock, $buf, 8192, length $buf);
        last unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    $rest //= '';
    my ($status) = ($head // '') =~ m{^HTTP/1\.\d (\d{3})};
    my %rh;
    for (split /\r\n/, $head // '') {
        $rh{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }
    my $r = { status => $status // 0, headers => \%rh, sock => $sock, key => $key, pending => $rest };
    if (($status // 0) != 101) {
        # body: read until close (Connection: close is likely) or Content-Length
        my $len = $rh{'content-length'};
        while (!defined $len || length($rest) < $len) {
            last unless $sel->can_read(5);
            my $n = sysread($sock, $rest, 8192, length $rest);
            last unless $n;
        }
        $rest =~ s/^[0-9a-fA-F]+\r\n// if ($rh{'transfer-encoding'} // '') =~ /chunked/;
        $r->{body} = $rest;
        close $sock;
        delete $r->{sock};
    } else {
        my $want = encode_base64_sha1($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
        $r->{accept_ok} = (($rh{'sec-websocket-accept'} // '') eq $want);
    }
    return $r;
}

sub encode_base64_sha1 {
    my $b = sha1_base64($_[0]);
    $b .= '=' while length($b) % 4;
    return $b;
}

# Sends one frame. %o: fin (default 1), mask (default 1), rsv (bits).
sub ws_send {
    my ($r, $op, $payload, %o) = @_;
    my $fin = exists $o{fin} ? $o{fin} : 1;
    my $mask = exists $o{mask} ? $o{mask} : 1;
    my $b0 = ($fin ? 0x80 : 0) | (($o{rsv} // 0) << 4) | $op;
    my $len = length $payload;
    my $hdr = chr($b0);
    my $m = $mask ? 0x80 : 0;
    if ($len < 126) { $hdr .= chr($m | $len) }
    elsif ($len < 65536) { $hdr .= chr($m | 126) . pack('n', $len) }
    else { $hdr .= chr($m | 127) . pack('Q>', $len) }
    if ($mask) {
        my $k = join '', map { chr(int rand 256) } 1 .. 4;
        my $x = $payload ^ substr($k x (int($len / 4) + 1), 0, $len);
        $hdr .= $k;
        $payload = $x;
    }
    my $data = $hdr . $payload;
    local $SIG{PIPE} = 'IGNORE';
    while (length $data) {
        my $n = syswrite($r->{sock}, $data);
        return 0 unless defined $n && $n > 0;
        substr($data, 0, $n, '');
    }
    return 1;
}

# Receives one frame: returns (opcode, payload) or () on timeout/EOF.
sub ws_recv {
    my ($r, $timeout) = @_;
    $timeout //= 5;
    my $sel = IO::Select->new($r->{sock});
    my $deadline = time + $timeout;
    for (;;) {
        my $b = $r->{pending};
        if (length($b) >= 2) {
            my ($b0, $b1) = unpack('CC', $b);
            my $len = $b1 & 0x7f;
            my $off = 2;
            if ($len == 126) { last if length($b) < 4; $len = unpack('n', substr($b, 2, 2)); $off = 4 }
            elsif ($len == 127) { last if length($b) < 10; $len = unpack('Q>', substr($b, 2, 8)); $off = 10 }
            if (length($b) >= $off + $len) {
                my $payload = substr($b, $off, $len);
                substr($r->{pending}, 0, $off + $len, '');
                return ($b0 & 0x0f, $payload, $b0 & 0x80);
            }
        }
        my $left = $deadline - time;
        return () if $left <= 0 || !$sel->can_read($left);
        my $n = sysread($r->{sock}, $r->{pending}, 65536, length $r->{pending});
        return () unless $n;
    }
    return ();
}

# Waits for a close frame (skipping data); returns (code, reason) or ().
sub ws_close_expect {
    my ($r, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    while (time < $deadline) {
        my ($op, $p) = ws_recv($r, $deadline - time);
        return () unless defined $op;
        next unless $op == 8;
        return (0, '') if length($p) < 2;
        return (unpack('n', $p), substr($p, 2));
    }
    return ();
}

# A redirection token through the Redfish API; undef (with $@ set) when the
# token service is not available.
our %SESSIONS;
sub get_token {
    my ($system, $mode, $user, $pw) = @_;
    $user //= 'admin';
    $pw //= 'admin-pw';
    my $json = JSON::PP->new;
    my $res;
    # one Redfish session per user for the whole test file (sessions are capped)
    my $tok = $SESSIONS{$user};
    unless ($tok) {
        $res = Apache::TestRequest::POST('/redfish/v1/SessionService/Sessions',
            content => $json->encode({ UserName => $user, Password => $pw }),
            'Content-Type' => 'application/json');
        $tok = $res->header('X-Auth-Token');
        unless ($res->code == 201 && $tok) { $@ = 'login failed: ' . $res->code; return undef }
        $SESSIONS{$user} = $tok;
    }
    $res = Apache::TestRequest::POST(
        "/redfish/v1/Systems/$system/Actions/Oem/IntelComputerSystem.GenerateRedirectionToken",
        content => $json->encode({ Mode => uc $mode }),
        'Content-Type' => 'application/json', 'X-Auth-Token' => $tok);
    unless ($res->is_success) { $@ = 'token action: ' . $res->code . ' ' . $res->content; return undef }
    my $body = eval { $json->decode($res->content) } || {};
    return $body->{RedirectionToken} // do { $@ = 'no RedirectionToken'; undef };
}

1;
