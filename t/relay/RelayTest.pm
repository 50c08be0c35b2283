# Helpers for the mod_amt_relay Apache::Test files: a small RFC 6455 client on a
# raw socket (so every handshake header and frame can be broken on purpose) and
# Redfish token issuance.
package RelayTest;
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::SSL;
use IO::Select;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha1_base64);
use JSON::PP;
use Apache::Test;
use Apache::TestRequest ();
use Exporter 'import';

our @EXPORT = qw(get_token_at ws_handshake ws_send ws_recv ws_close_expect get_token relay_url
                 redfish_post vhost_hostport private_httpd sol_echo wait_stream_gone stream_counters
                 sim_value log_since SYS1 SYS2 SYS3 SYS4 SYS_UNKNOWN);

our %SESSIONS;
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

# Readable within TIMEOUT seconds? A TLS socket may already hold decrypted bytes
# that select() cannot see.
sub readable {
    my ($sock, $timeout) = @_;
    return 1 if $sock->can('pending') && $sock->pending;
    return IO::Select->new($sock)->can_read($timeout) ? 1 : 0;
}

# Opens a TCP (or, with tls => 1, TLS verified against the test CA) connection and
# sends an upgrade request. %o: url, headers (hashref, undef value removes a default
# header), method, proto (token offered), hostport, tls.
# Returns { status, headers, body, sock, raw }.
sub ws_handshake {
    my (%o) = @_;
    my ($host, $port) = $o{hostport} ? split(/:/, $o{hostport}) : hostport();
    my $sock = $o{tls}
        ? IO::Socket::SSL->new(PeerAddr => $host, PeerPort => $port, Timeout => 10,
                               SSL_ca_file => "$ENV{RFAMT_STATEDIR}/ca/ca.pem",
                               SSL_hostname => $host, SSL_verifycn_name => $host,
                               SSL_verifycn_scheme => 'http')
          || die "TLS connect: $SSL_ERROR"
        : IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 10)
          || die "connect: $!";
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
    while ($buf !~ /\r\n\r\n/) {
        last unless readable($sock, 10);
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
            last unless readable($sock, 5);
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

# host:port of an Apache::Test <VirtualHost NAME> from a t/conf/*.conf.in file.
sub vhost_hostport {
    my ($name) = @_;
    my $v = Apache::Test::config()->{vhosts}{$name} or return undef;
    return $v->{hostport};
}

# After a stream ends on the client side, the relay still ends the AMT session
# before it frees the device's slot (AMT allows one SOL and one KVM): wait until
# the status page no longer lists SYSTEM/MODE, so that the next upgrade is not a
# (correct) 409, and until the simulated device itself has let the session go (a
# relay that hangs up mid-handshake closes TCP at once; the device notices a moment
# later, and a stream opened in between would get a correct BUSY).
# Returns 1 when gone within TIMEOUT seconds.
sub wait_stream_gone {
    my ($system, $mode, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    my $ctl = $ENV{AMTSIMCTL} && $ENV{AMTSIM_CONTROL} ? "$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL}" : undef;
    for (;;) {
        my $res = Apache::TestRequest::GET('/amt-relay-status?auto');
        my $relay_free = $res->is_success && $res->content !~ /system=\Q$system\E mode=\Q$mode\E\b/i;
        my $device_free = !$ctl || `$ctl state $system 2>/dev/null` !~ /^\Q$mode\E_active=[1-9]/m;
        return 1 if $relay_free && $device_free;
        return 0 if time > $deadline;
        select undef, undef, undef, 0.1;
    }
}

# One number from `amtsimctl state SYSTEM` (a counter such as redir_busy, or
# sol_active), or -1 when the simulator does not say.
sub sim_value {
    my ($system, $key) = @_;
    my $st = `$ENV{AMTSIMCTL} $ENV{AMTSIM_CONTROL} state $system 2>&1`;
    return $st =~ /^\Q$key\E=(\d+)$/m ? $1 : -1;
}

# What FILE (an error log) gained after byte OFFSET; '' if it cannot be read.
sub log_since {
    my ($file, $offset) = @_;
    my $text = '';
    if (open my $fh, '<', $file) { seek $fh, $offset // 0, 0; local $/; $text = <$fh> // ''; close $fh }
    return $text;
}

# (to_amt, to_client) byte counters of the live SYSTEM/MODE stream from mod_status,
# or () when no such stream is listed.
sub stream_counters {
    my ($system, $mode) = @_;
    my $res = Apache::TestRequest::GET('/amt-relay-status?auto');
    return $res->content =~ /system=\Q$system\E mode=\Q$mode\E\b.* to_amt=(\d+) to_client=(\d+)/ ? ($1, $2) : ();
}

# Sends "echo WORD" on a plain SOL stream and waits for WORD (as command output).
sub sol_echo {
    my ($r, $word, $timeout) = @_;
    return 0 unless $r && $r->{sock};
    ws_send($r, 2, "echo $word\r") or return 0;
    my $seen = '';
    my $deadline = time + ($timeout // 5);
    while (time < $deadline) {
        my ($op, $p) = ws_recv($r, 1);
        $seen .= $p if defined $op && $op == 2;
        return 1 if ($seen =~ s/\Q$word\E//g) >= 2;   # the echoed line + the output
    }
    return 0;
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
    return 0 unless $r->{sock};   # a refused upgrade has no socket: fail the test, do not die
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
    return () unless $r->{sock};
    $timeout //= 5;
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
        return () if $left <= 0 || !readable($r->{sock}, $left);
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

# POST JSON to the Redfish service as the session of $user (created on first
# use); returns the HTTP::Response. %o: base (http://host:port of another server).
sub redfish_post {
    my ($path, $body, %o) = @_;
    my $user = $o{user} // 'admin';
    my $tok = session_token($user, $o{pw} // "$user-pw", $o{base}) or return undef;
    my $json = JSON::PP->new;
    return post_json($o{base}, $path, $json->encode($body), 'X-Auth-Token' => $tok);
}

sub post_json {
    my ($base, $path, $content, @h) = @_;
    if ($base) {
        require LWP::UserAgent;
        require HTTP::Request;
        my $req = HTTP::Request->new(POST => "$base$path", ['Content-Type' => 'application/json', @h], $content);
        # an https base is one of the harness's TLS vhosts: verify it against the test CA
        my %ssl = $base =~ /^https:/
            ? (ssl_opts => { SSL_ca_file => "$ENV{RFAMT_STATEDIR}/ca/ca.pem", verify_hostname => 0 }) : ();
        return LWP::UserAgent->new(timeout => 15, %ssl)->request($req);
    }
    return Apache::TestRequest::POST($path, content => $content, 'Content-Type' => 'application/json', @h);
}

sub session_token {
    my ($user, $pw, $base) = @_;
    my $k = ($base // '') . "|$user";
    return $SESSIONS{$k} if $SESSIONS{$k};
    my $res = post_json($base, '/redfish/v1/SessionService/Sessions',
                        JSON::PP->new->encode({ UserName => $user, Password => $pw }));
    my $tok = $res->header('X-Auth-Token');
    unless ($res->code == 201 && $tok) { $@ = 'login failed: ' . $res->code; return undef }
    return $SESSIONS{$k} = $tok;
}

# A second, private httpd (not Apache::Test) with its own generated config, for
# settings that are server-wide in the suite (e.g. AmtRelayMaxStreams). Loads the
# harness' module list and both modules; devices = extra lines. Returns a hash
# { base, hostport, stop => sub } or undef (with $@).
sub private_httpd {
    my (%o) = @_;
    my $state = $ENV{RFAMT_STATEDIR} or do { $@ = 'RFAMT_STATEDIR not set'; return undef };
    my $build = $ENV{RFAMT_BUILDDIR};
    my $dir = "$state/private-$o{name}";
    system('rm', '-rf', $dir);
    mkdir $dir or do { $@ = "mkdir $dir: $!"; return undef };
    my $port = do { my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1); my $p = $s->sockport; close $s; $p };
    my $tconf = Apache::Test::config()->{vars}{t_conf};
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    # without => [modules]: the harness' module list minus these (e.g. headers)
    my $inherit = "$state/inherit.conf";
    if ($o{without}) {
        my $skip = join '|', map { quotemeta } @{ $o{without} };
        open my $in, '<', $inherit or return undef;
        open my $out, '>', "$dir/inherit.conf" or return undef;
        print $out grep { !/^LoadModule (?:$skip)_module / } <$in>;
        close $out;
        $inherit = "$dir/inherit.conf";
    }
    open my $fh, '>', "$dir/httpd.conf" or return undef;
    print $fh "Include $inherit\n",
        "LoadModule redfish_amt_module $build/mod_redfish_amt/.libs/mod_redfish_amt.so\n",
        "LoadModule amt_relay_module $build/mod_amt_relay/.libs/mod_amt_relay.so\n",
        "ServerRoot $dir\nServerName 127.0.0.1\nListen 127.0.0.1:$port\nPidFile $dir/httpd.pid\n",
        "ErrorLog $dir/error_log\nLogLevel warn amt_relay:info\nMutex file:$dir\nDefaultRuntimeDir $dir\n",
        $user, "TypesConfig /dev/null\n",
        "<IfModule mpm_event_module>\n StartServers 1\n ServerLimit 2\n ThreadsPerChild 16\n MaxRequestWorkers 32\n</IfModule>\n",
        "RedfishTokenLifetime 60\nRedfishAMTTimeout 2000\nRedfishAllowLoginOverHTTP on\n",
        "<Location /redfish>\n SetHandler redfish-amt\n RedfishAuthProvider file\n",
        " AuthUserFile $tconf/redfish.htpasswd\n AuthGroupFile $tconf/redfish.groups\n",
        " RedfishRole Administrator \"group admins\"\n RedfishRole Operator \"group operators\"\n",
        " RedfishRole ReadOnly \"group readers\"\n</Location>\n",
        "<Location /relay/webrelay.ashx>\n SetHandler amt-relay\n</Location>\n",
        $o{conf} // '';
    close $fh;
    chmod 0755, $dir;
    my $out = `/usr/sbin/apache2 -d $dir -f $dir/httpd.conf -k start 2>&1`;
    if ($?) { $@ = "apache2 start: $out"; return undef }
    my $ok = 0;
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1);
        if ($s) { $ok = 1; close $s; last }
        select undef, undef, undef, 0.1;
    }
    my $stop = sub {
        system("/usr/sbin/apache2 -d $dir -f $dir/httpd.conf -k stop >/dev/null 2>&1");
        for (1 .. 50) { last unless -e "$dir/httpd.pid"; select undef, undef, undef, 0.1 }
    };
    unless ($ok) { $stop->(); $@ = "private httpd did not listen; see $dir/error_log"; return undef }
    return { base => "http://127.0.0.1:$port", hostport => "127.0.0.1:$port", dir => $dir, stop => $stop };
}

# A redirection token through the Redfish API; undef (with $@ set) when the
# token service is not available. (get_token_at: same against another server.)
sub get_token_at {
    my ($base, $system, $mode) = @_;
    my $res = redfish_post("/redfish/v1/Systems/$system/Actions/Oem/IntelComputerSystem.GenerateRedirectionToken",
                           { Mode => uc $mode }, base => $base) or return undef;
    unless ($res->is_success) { $@ = 'token action: ' . $res->code . ' ' . $res->content; return undef }
    my $body = eval { JSON::PP->new->decode($res->content) } || {};
    return $body->{RedirectionToken} // do { $@ = 'no RedirectionToken'; undef };
}

sub get_token {
    my ($system, $mode, $user, $pw) = @_;
    $user //= 'admin';
    $pw //= 'admin-pw';
    my $json = JSON::PP->new;
    my $res;
    # one Redfish session per user for the whole test file (sessions are capped), the
    # same one redfish_post uses: a consent it obtained belongs to that session
    my $tok = session_token($user, $pw) or return undef;
    $res = Apache::TestRequest::POST(
        "/redfish/v1/Systems/$system/Actions/Oem/IntelComputerSystem.GenerateRedirectionToken",
        content => $json->encode({ Mode => uc $mode }),
        'Content-Type' => 'application/json', 'X-Auth-Token' => $tok);
    unless ($res->is_success) { $@ = 'token action: ' . $res->code . ' ' . $res->content; return undef }
    my $body = eval { $json->decode($res->content) } || {};
    return $body->{RedirectionToken} // do { $@ = 'no RedirectionToken'; undef };
}

1;
