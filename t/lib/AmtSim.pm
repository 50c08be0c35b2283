package AmtSim;
# Start/stop an amtsim (simulated Intel AMT device) from tests.
#
#   use lib 't/lib'; use AmtSim;
#   my $sim = AmtSim->new(devices => ['id=...,addr=127.0.1.2,...']);
#   my ($rc, $out) = $sim->ctl('code', $id);   # runs amtsimctl
#   my $st = $sim->state($id);                  # hashref of `amtsimctl state`
#   my $p = $sim->ports($id);                   # {wsman, redir, wsman-tls, redir-tls} from the ready file
#   $sim->idle($id);                            # wait until no SOL/KVM session is open
#   $sim->stop;                                 # returns amtsim's exit status
# AmtSim::test_ca() makes/returns the test CA dir; AmtSim::Redir and
# AmtSim::Wsman (below) are small independent protocol clients.
#
# Environment: AMTSIM (binary), AMTSIMCTL, BUILDDIR (tree with t/amtsim/amtsim),
# AMTSIM_WRAPPER (e.g. "valgrind --error-exitcode=99 --leak-check=full"),
# AMTSIM_VERBOSE=1 (simulator log to stderr instead of a file).
use strict;
use warnings;
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use File::Spec;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

my $root = File::Spec->rel2abs(dirname(__FILE__) . '/../..');

sub builddir { $ENV{BUILDDIR} || $root }
sub bin      { $ENV{AMTSIM}    || builddir() . '/t/amtsim/amtsim' }
sub ctlbin   { $ENV{AMTSIMCTL} || builddir() . '/t/amtsim/amtsimctl' }

# The test CA (t/amtsim/make-test-ca), made once per build tree.
sub test_ca {
    my $dir = $ENV{AMTSIM_CA_DIR} || builddir() . '/build/test-ca';
    system("$root/t/amtsim/make-test-ca", $dir) == 0 or die "make-test-ca failed\n";
    return $dir;
}

sub new {
    my ($class, %o) = @_;
    my $self = bless { %o }, $class;
    $self->{dir}   = tempdir('amtsim-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    $self->{ready} = "$self->{dir}/ready";
    $self->{sock}  = "$self->{dir}/ctl.sock";
    $self->{log}   = "$self->{dir}/amtsim.log";
    my @cmd = (bin(), '--ready-file', $self->{ready}, '--control', $self->{sock}, '-v');
    push @cmd, map { ('--device', $_) } @{ $o{devices} || [] };
    push @cmd, @{ $o{args} || [] };
    unshift @cmd, split ' ', $ENV{AMTSIM_WRAPPER} if $ENV{AMTSIM_WRAPPER} && !$o{no_wrapper};
    unshift @cmd, split ' ', $o{wrapper} if $o{wrapper};
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        unless ($ENV{AMTSIM_VERBOSE}) {
            open STDERR, '>', $self->{log} or die;
        }
        open STDOUT, '>&', \*STDERR;
        exec @cmd or die "exec $cmd[0]: $!";
    }
    $self->{pid} = $pid;
    my $limit = time + ($o{timeout} || ($ENV{AMTSIM_WRAPPER} || $o{wrapper} ? 60 : 10));
    until (-s $self->{ready}) {
        if (waitpid($pid, WNOHANG) == $pid) {
            $self->{pid} = undef;
            die "amtsim exited early (status $?): " . $self->logtext . "\n";
        }
        die "amtsim not ready in time\n" if time > $limit;
        sleep 0.05;
    }
    open my $fh, '<', $self->{ready} or die;
    while (<$fh>) {
        my ($id, $addr, %p) = (split(' '), );
        my %ports = map { split /=/ } grep { /=/ } split ' ';
        $self->{ports}{$id} = $self->{ports}{$addr} = \%ports;
    }
    return $self;
}

sub ports { my ($self, $id) = @_; return $self->{ports}{$id} }
sub sock  { $_[0]{sock} }
sub logtext {
    my $self = shift;
    open my $fh, '<', $self->{log} or return '';
    local $/;
    return scalar <$fh>;
}

# Run amtsimctl; returns ($exit_code, $stdout) in list context, stdout otherwise.
sub ctl {
    my ($self, @args) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>', '/dev/null';
        exec ctlbin(), $self->{sock}, @args or exit 127;
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return wantarray ? ($? >> 8, $out) : $out;
}

sub state {
    my ($self, $id) = @_;
    my %s = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } split /\n/, scalar $self->ctl('state', $id);
    return \%s;
}

# Wait until the device has no SOL/KVM session open (closing is noticed
# asynchronously by the device); returns true when idle within $timeout s.
sub idle {
    my ($self, $id, $timeout) = @_;
    my $limit = time + ($timeout // 5);
    while (time < $limit) {
        my $s = $self->state($id);
        return 1 if defined $s->{sol_active} && !$s->{sol_active} && !$s->{kvm_active};
        sleep 0.05;
    }
    return 0;
}

# SIGTERM and wait; returns the exit status (0 = clean).
sub stop {
    my $self = shift;
    my $pid = delete $self->{pid} or return $self->{status};
    kill 'TERM', $pid;
    my $limit = time + 60;
    while (waitpid($pid, WNOHANG) == 0) {
        if (time > $limit) { kill 'KILL', $pid; waitpid($pid, 0); last }
        sleep 0.05;
    }
    $self->{status} = $? >> 8;
    $self->{status} = 128 + ($? & 127) if $? & 127;
    return $self->{status};
}

sub DESTROY { my $self = shift; local $?; $self->stop if $self->{pid} }

1;

package AmtSim::Redir;
# A minimal client of the AMT redirection protocol,
# written from the spec independently of the simulator, for tests.
use strict;
use warnings;
use IO::Socket::INET;
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time);

sub new {
    my ($class, %o) = @_;
    my $s;
    if ($o{tls}) {
        require IO::Socket::SSL;
        $s = IO::Socket::SSL->new(PeerHost => $o{host}, PeerPort => $o{port}, SSL_ca_file => $o{ca},
                                  SSL_verifycn_name => $o{host}, SSL_verifycn_scheme => 'http',
                                  Timeout => 5) or die "TLS connect: " . IO::Socket::SSL::errstr() . "\n";
    } else {
        $s = IO::Socket::INET->new(PeerHost => $o{host}, PeerPort => $o{port}, Timeout => 5)
            or die "connect $o{host}:$o{port}: $!\n";
    }
    binmode $s;
    return bless { s => $s, seq => 0, buf => '' }, $class;
}

sub send { my ($self, $b) = @_; my $s = $self->{s}; print {$s} $b; $s->flush }

# exactly n bytes (undef on EOF/timeout)
sub readn {
    my ($self, $n, $timeout) = @_;
    my $limit = time + ($timeout // 5);
    while (length($self->{buf}) < $n) {
        my $s = $self->{s};
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        my $left = $limit - time;
        return undef if $left <= 0;
        unless ($s->can('pending') && $s->pending) {
            select(my $rout = $rin, undef, undef, $left) or return undef;
        }
        my $r = sysread($s, my $chunk, 65536);
        return undef unless $r;
        $self->{buf} .= $chunk;
    }
    return substr($self->{buf}, 0, $n, '');
}

sub eof_within {
    my ($self, $timeout) = @_;
    my $limit = time + $timeout;
    while (time < $limit) {
        my $s = $self->{s};
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        select(my $rout = $rin, undef, undef, 0.1) or next;
        my $r = sysread($s, my $chunk, 65536);
        return 1 if !$r;
        $self->{buf} .= $chunk;
    }
    return 0;
}

sub start {
    my ($self, $kind) = @_;
    my %tag = (sol => "\x10\0\0\0SOL ", kvm => "\x10\x01\0\0KVMR", ider => "\x10\0\0\0IDER");
    $self->send($tag{$kind});
    my $h = $self->readn(13) // return undef;
    my $extra = ord(substr($h, 12, 1));
    $self->readn($extra) if $extra;
    return ord(substr($h, 1, 1));
}

sub elem { return pack('C', length $_[0]) . $_[0] }
sub auth_msg { my ($type, $data) = @_; return pack('CCCCCV', 0x13, 0, 0, 0, $type, length $data) . $data }

sub read_auth {
    my $self = shift;
    my $h = $self->readn(9) // return;
    my ($t, $st, undef, undef, $type, $len) = unpack('CCCCCV', $h);
    my $data = $len ? $self->readn($len) : '';
    return ($st, $type, $data);
}

sub query {
    my $self = shift;
    $self->send(auth_msg(0, ''));
    my ($st, $type, $data) = $self->read_auth;
    return [ unpack('C*', $data // '') ];
}

sub plain {
    my ($self, $u, $p) = @_;
    $self->send(auth_msg(1, elem($u) . elem($p)));
    my ($st) = $self->read_auth;
    return $st;
}

# RFC 2617 digest; %o: cnonce, nc, uri, type (4 or 3), tamper (sub on response)
sub digest {
    my ($self, $u, $p, %o) = @_;
    my $type = $o{type} // 4;
    my $uri = $o{uri} // '/RedirectionService';
    my $empty = $type == 4 ? elem($u) . "\0\0" . elem($uri) . "\0\0\0\0" : elem($u) . "\0\0" . elem($uri) . "\0\0\0";
    $self->send(auth_msg($type, $empty));
    my ($st, $t, $data) = $self->read_auth;
    return (undef, 'no challenge') unless defined $st && $st == 1 && $t == $type;
    my @e;
    while (length $data) { my $l = ord(substr($data, 0, 1, '')); push @e, substr($data, 0, $l, '') }
    my ($realm, $nonce, $qop) = @e;
    $self->{realm} = $realm;
    my $cnonce = $o{cnonce} // '0123456789abcdef0123456789abcdef';
    my $nc = $o{nc} // '00000002';
    my $ha1 = md5_hex("$u:$realm:$p");
    my $ha2 = md5_hex("POST:$uri");
    my $resp = $type == 4 ? md5_hex("$ha1:$nonce:$nc:$cnonce:$qop:$ha2") : md5_hex("$ha1:$nonce:$ha2");
    $resp = $o{tamper}->($resp) if $o{tamper};
    my $final = elem($u) . elem($realm) . elem($nonce) . elem($uri) . elem($cnonce) . elem($nc) . elem($resp);
    $final .= elem($qop) if $type == 4;
    $self->send(auth_msg($type, $final));
    my ($fst, $ftype) = $self->read_auth;
    return ($fst, $realm, $nonce, $qop);
}

sub sol_start {
    my ($self, %o) = @_;
    my $msg = pack('CCCCVvvvvvvV', 0x20, 0, 0, 0, $self->{seq}++, $o{maxtx} // 10000, 100, 0,
                   $o{rxto} // 10000, 100, $o{hb} // 0, 0);
    $self->send($msg);
    return $self->readn(23);
}

# next SOL message from AMT: (type, payload)
sub sol_msg {
    my ($self, $timeout) = @_;
    my $t = $self->readn(1, $timeout) // return;
    my $type = ord $t;
    if ($type == 0x2A) {
        my $h = $self->readn(9) // return;
        my $n = unpack('v', substr($h, 7, 2));
        return (0x2A, $self->readn($n));
    }
    return (0x29, $self->readn(9)) if $type == 0x29;
    return ($type, $self->readn(7)) if $type == 0x2B || $type == 0x23 || $type == 0x25;
    return ($type, '');
}

sub sol_send {
    my ($self, $data) = @_;
    $self->send(pack('CCCCVv', 0x28, 0, 0, 0, $self->{seq}++, length $data) . $data);
}

# collect host output until $re matches (or timeout)
sub sol_expect {
    my ($self, $re, $timeout) = @_;
    my $limit = time + ($timeout // 5);
    my $acc = '';
    while (time < $limit) {
        my ($type, $p) = $self->sol_msg($limit - time);
        last unless defined $type;
        $acc .= $p if $type == 0x2A;
        return $acc if $acc =~ $re;
    }
    return undef;
}

sub close { my $self = shift; close $self->{s} if $self->{s} }

1;

package AmtSim::Wsman;
# Minimal WS-Man HTTP client with AMT-style digest, for tests.
use strict;
use warnings;
use IO::Socket::INET;
use Digest::MD5 qw(md5_hex);

sub new { my ($class, %o) = @_; return bless { user => 'admin', port => 16992, nc => 0, %o }, $class }

sub _request {
    my ($self, $body, $auth) = @_;
    my $s = IO::Socket::INET->new(PeerHost => $self->{host}, PeerPort => $self->{port}, Timeout => $self->{timeout} // 10)
        or return { status => 0, error => "$!" };
    my $req = "POST /wsman HTTP/1.1\r\nHost: $self->{host}:$self->{port}\r\n"
            . "Content-Type: application/soap+xml; charset=utf-8\r\nContent-Length: " . length($body) . "\r\n"
            . ($auth ? "Authorization: $auth\r\n" : '') . "Connection: close\r\n\r\n$body";
    print {$s} $req;
    my $resp = '';
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    while (select(my $r = $rin, undef, undef, $self->{timeout} // 10)) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $resp .= $buf;
    }
    close $s;
    my ($head, $rest) = split /\r\n\r\n/, $resp, 2;
    return { status => 0 } unless defined $head && $head =~ m{^HTTP/1\.1 (\d+)};
    my %r = (status => $1, head => $head, body => '');
    if ($head =~ /^Transfer-Encoding: chunked/mi) {
        while ($rest =~ s/^([0-9A-Fa-f]+)\r\n//) {
            my $n = hex $1;
            last if !$n;
            $r{body} .= substr($rest, 0, $n, '');
            $rest =~ s/^\r\n//;
        }
    } else {
        $r{body} = $rest // '';
    }
    return \%r;
}

sub post {
    my ($self, $body) = @_;
    if ($self->{realm}) {
        my $r = $self->_request($body, $self->_auth);
        return $r unless $r->{status} == 401;
    }
    my $r = $self->_request($body);
    return $r unless $r->{status} == 401 && $r->{head} =~ /realm="([^"]+)", nonce="([^"]+)"/;
    @$self{qw(realm nonce nc)} = ($1, $2, 0);
    return $self->_request($body, $self->_auth);
}

sub _auth {
    my $self = shift;
    my $nc = sprintf '%08x', ++$self->{nc};
    my $cnonce = sprintf '%08x', int rand 0xffffffff;
    my $ha1 = md5_hex("$self->{user}:$self->{realm}:$self->{pass}");
    my $ha2 = md5_hex('POST:/wsman');
    my $resp = md5_hex("$ha1:$self->{nonce}:$nc:$cnonce:auth:$ha2");
    # MeshCommander's shape: qop and nc unquoted
    return qq{Digest username="$self->{user}",realm="$self->{realm}",nonce="$self->{nonce}",uri="/wsman",qop=auth,response="$resp",nc=$nc,cnonce="$cnonce"};
}

# A Get envelope for a class URI (the shape the DMT libraries send).
sub get_xml {
    my ($uri, $id) = @_;
    $id //= 1;
    return qq{<?xml version="1.0" encoding="utf-8"?><Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action><a:To>/wsman</a:To><w:ResourceURI>$uri</w:ResourceURI><a:MessageID>$id</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout></Header><Body></Body></Envelope>};
}

1;
