#!/usr/bin/perl
# Debian's amtterm (1.4: plain TCP, username/password auth only, so the devices
# here enable auth type 1 with plain-auth=on) opens SOL on the
# simulator and round-trips text through the simulated host console; the TLS
# redirection port is exercised with amtterm's own bytes through a verifying
# TLS forwarder (Debian's amtterm has no TLS). Wrong password is refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use IO::Socket::INET;
use IO::Socket::SSL;
use IO::Select;
use POSIX qw(_exit);

my $amtterm = '/usr/bin/amtterm';
plan skip_all => 'amtterm not installed (apt-get install amtterm)' unless -x $amtterm;
plan skip_all => 'script(1) not available' unless -x '/usr/bin/script';

my $ca = AmtSim::test_ca();
my $id1 = '6c1a7f00-0001-4a5b-8c9d-0123456789a1';
my $id2 = '6c1a7f00-0002-4a5b-8c9d-0123456789a2';
my $sim = AmtSim->new(devices => [
    "id=$id1,addr=127.0.1.11,password=S0l-Test!,plain-auth=on",
    "id=$id2,addr=127.0.1.12,password=S0l-Test!,plain-auth=on,tls=on,cert=$ca/server.pem,key=$ca/server-key.pem",
]);

sub amtterm_session {
    my ($host, $port, $pw, $line) = @_;
    my $cmd = "$amtterm -u admin -p '$pw' $host $port";
    # amtterm wants a terminal: run it under script(1), feed a line after the banner
    my $pid = open(my $out, '-|') // die;
    if (!$pid) {
        pipe(my $r, my $w) or die;
        my $feeder = fork // die;
        if (!$feeder) {
            close $r;
            select(undef, undef, undef, 1.5);
            syswrite $w, "$line\n" if defined $line;
            select(undef, undef, undef, 1.5);
            _exit(0);
        }
        close $w;
        open STDIN, '<&', $r or die;
        open STDERR, '>', '/dev/null';
        exec 'timeout', '5', 'script', '-qfec', $cmd, '/dev/null' or _exit(127);
    }
    local $/;
    my $text = <$out> // '';
    close $out;
    return $text;
}

my $tok = 'roundtrip' . int(rand(1e9));
my $text = amtterm_session('127.0.1.11', 16994, 'S0l-Test!', "echo $tok");
like($text, qr/serial-over-lan redirection ok/, 'amtterm: SOL session established');
like($text, qr/Intel\(R\) AMT simulated host \Q$id1\E/, 'amtterm: host banner received');
like($text, qr/\n\r?\Q$tok\E\r?\r\n/, 'amtterm: typed command executed and its output came back');
my $st = $sim->state($id1);
is($st->{redir_sessions}, 1, 'simulator counted one redirection session');
is($st->{sol_active}, 0, 'session released after amtterm quit');

$text = amtterm_session('127.0.1.11', 16994, 'wrong-password', undef);
unlike($text, qr/serial-over-lan redirection ok/, 'amtterm: wrong password does not get SOL');
like($text, qr/AUTH.*(fail|ERROR|close)|authentication/is, 'amtterm reports the failed authentication');
is($sim->state($id1)->{redir_auth_fail}, 1, 'simulator counted the failed authentication');

# --- TLS: plain listener -> verifying TLS client to 127.0.1.12:16995 ---
my $lsn = IO::Socket::INET->new(LocalAddr => '127.0.1.13', LocalPort => 0, Listen => 4, ReuseAddr => 1) or die $!;
my $fport = $lsn->sockport;
my $fwd = fork // die;
if (!$fwd) {
    while (my $c = $lsn->accept) {
        my $t = IO::Socket::SSL->new(PeerHost => '127.0.1.12', PeerPort => 16995, SSL_ca_file => "$ca/ca.pem",
                                     SSL_verifycn_name => '127.0.1.12', SSL_verifycn_scheme => 'http')
            or do { close $c; next };
        my $sel = IO::Select->new($c, $t);
        OUTER: while (1) {
            my @r = $t->pending ? ($t) : $sel->can_read(10);
            last unless @r;
            for my $h (@r) {
                my $n = sysread($h, my $buf, 16384);
                last OUTER unless $n;
                my $o = $h == $c ? $t : $c;
                syswrite($o, $buf) or last OUTER;
            }
        }
        close $c;
        close $t;
    }
    _exit(0);
}
close $lsn;
$tok = 'tlstrip' . int(rand(1e9));
$text = amtterm_session('127.0.1.13', $fport, 'S0l-Test!', "echo $tok");
like($text, qr/serial-over-lan redirection ok/, 'amtterm over TLS port: SOL session established');
like($text, qr/\n\r?\Q$tok\E\r?\r\n/, 'amtterm over TLS port: text round trip');
is($sim->state($id2)->{redir_sessions}, 1, 'TLS device counted the session');
kill 'TERM', $fwd;
waitpid $fwd, 0;

is($sim->stop, 0, 'amtsim exits cleanly on SIGTERM');
done_testing;
