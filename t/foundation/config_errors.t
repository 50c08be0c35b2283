# Configuration mistakes are caught by `httpd -t`, naming the file, the line
# and the device.
use strict;
use warnings FATAL => 'all';
use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);

my $vars  = Apache::Test::vars();
my $httpd = $vars->{httpd};
my $state = $ENV{RFAMT_STATEDIR} or die "RFAMT_STATEDIR not set";
my $build = $ENV{RFAMT_BUILDDIR};
my $moddir = `$ENV{APXS} -q LIBEXECDIR 2>/dev/null` || '/usr/lib/apache2/modules';
chomp $moddir;
my $dir = tempdir(CLEANUP => 1);
my ($mpm) = $state =~ m{/(event|worker|prefork)$};

my $good_pw = "$dir/good.pw";
write_file($good_pw, "secret\n", 0600);
my $open_pw = "$dir/open.pw";
write_file($open_pw, "secret\n", 0644);
my $id = '8c3f1e52-0000-4000-8000-0000000000aa';

sub write_file {
    my ($path, $text, $mode) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod $mode, $path if defined $mode;
}

# Writes a config whose line $. of the device block is known, runs httpd -t.
sub check_conf {
    my ($body, $relay, $redfish) = @_;
    $redfish //= 1;
    my $file = "$dir/httpd-" . int(rand(1e9)) . ".conf";
    my @head = (
        "ServerRoot $dir",
        "LoadModule mpm_${mpm}_module $moddir/mod_mpm_${mpm}.so",
        "LoadModule authz_core_module $moddir/mod_authz_core.so",
        $redfish ? "LoadModule redfish_amt_module $build/mod_redfish_amt/.libs/mod_redfish_amt.so" : (),
        $relay ? "LoadModule amt_relay_module $build/mod_amt_relay/.libs/mod_amt_relay.so" : (),
        "Listen 127.0.0.1:" . (20000 + int(rand(20000))),
        "ServerName localhost",
        "PidFile $dir/httpd.pid",
        "ErrorLog $dir/error.log",
    );
    write_file($file, join("\n", @head, $body, ''));
    my $out = `$httpd -t -f $file 2>&1`;
    return ($? >> 8, $out, $file, scalar(@head));
}

sub device {
    my ($id_, @lines) = @_;
    return join("\n", "<AmtDevice $id_>", @lines, "</AmtDevice>");
}

my @cases = (
    # [name, config body, expected message regexp, line offset of the error in the body (1-based)]
    ['malformed UUID', device('not-a-uuid', 'AmtHost 127.0.0.2', 'AmtUser admin', 'AmtPassword x'),
     qr/SystemId must be a UUID/, 1],
    ['duplicate SystemId',
     join("\n", device($id, 'AmtHost 127.0.0.2', 'AmtTLS off', 'AmtUser admin', 'AmtPassword x'),
          device(uc $id, 'AmtHost 127.0.0.3', 'AmtTLS off', 'AmtUser admin', 'AmtPassword x')),
     qr/AmtDevice \Q$id\E is declared twice \(first at .* line \d+\)/, 7],
    ['missing host', device($id, 'AmtUser admin', 'AmtPassword x'),
     qr/AmtDevice \Q$id\E: AmtHost is missing/, 1],
    ['missing user', device($id, 'AmtHost 127.0.0.2', 'AmtPassword x'),
     qr/AmtDevice \Q$id\E: AmtUser is missing/, 1],
    ['missing password', device($id, 'AmtHost 127.0.0.2', 'AmtUser admin'),
     qr/AmtDevice \Q$id\E: AmtPassword or AmtPasswordFile is missing/, 1],
    ['unreadable password file', device($id, 'AmtHost 127.0.0.2', 'AmtUser admin', "AmtPasswordFile $dir/nope.pw"),
     qr/AmtDevice \Q$id\E: cannot read AmtPasswordFile '\Q$dir\E\/nope\.pw'/, 4],
    ['password file readable by others', device($id, 'AmtHost 127.0.0.2', 'AmtUser admin', "AmtPasswordFile $open_pw"),
     qr/AmtDevice \Q$id\E: AmtPasswordFile '\Q$open_pw\E' is accessible by group or others/, 4],
    ['TLS without verification', device($id, 'AmtHost 127.0.0.2', 'AmtUser admin', 'AmtPassword x', 'AmtTLS on'),
     qr/AmtDevice \Q$id\E: AmtTLS on needs AmtTLSCA or AmtTLSPin/, 1],
    # TLS is the default: a device without TLS must say so
    ['plain device without AmtTLS off', device($id, 'AmtHost 127.0.0.2', 'AmtUser admin', 'AmtPassword x'),
     qr/AmtDevice \Q$id\E: AmtTLS on needs .*needs an explicit AmtTLS off/, 1],
    ['AmtTLSLegacy on a plain device', device($id, 'AmtHost 127.0.0.2', 'AmtTLS off', 'AmtTLSLegacy on',
                                              'AmtUser admin', 'AmtPassword x'),
     qr/AmtDevice \Q$id\E: .*AmtTLSLegacy contradict AmtTLS off/, 1],
    ['bad pin', device($id, 'AmtHost 127.0.0.2', 'AmtUser admin', 'AmtPassword x', 'AmtTLS on', 'AmtTLSPin sha256/abcd'),
     qr/AmtDevice \Q$id\E: AmtTLSPin must hold 64 hex digits/, 6],
    ['bad port', device($id, 'AmtHost 127.0.0.2', 'AmtUser admin', 'AmtPassword x', 'AmtWSManPort 70000'),
     qr/AmtDevice \Q$id\E: AmtWSManPort '70000' is not a port number/, 5],
    ['device directive outside a device', 'AmtHost 127.0.0.2',
     qr/AmtHost is only valid inside <AmtDevice>/, 1],
    ['trusted proxy that is not an address', "RedfishTrustedProxy 10.0.0.1 proxy.example",
     qr/RedfishTrustedProxy: 'proxy\.example' is not an IP address or address\/prefix-length/, 1],
    ['trusted proxy with a bad prefix length', "RedfishTrustedProxy 10.0.0.0/33",
     qr/RedfishTrustedProxy: '10\.0\.0\.0\/33' is not an IP address/, 1],
    # the fifth field loads mod_amt_relay too
    ['relay BUSY wait over a minute', "AmtRelayBusyWait 61",
     qr/AmtRelayBusyWait: '61' is not a number between 0 and 60/, 1, 1],
    ['relay BUSY wait with a unit', "AmtRelayIdleTimeout 60\nAmtRelayBusyWait 3s",
     qr/AmtRelayBusyWait: '3s' is not a number between 0 and 60/, 2, 1],
);

plan tests => 3 * @cases + 4;

for my $c (@cases) {
    my ($name, $body, $re, $offset, $relay) = @$c;
    my ($rc, $out, $file, $head) = check_conf($body, $relay);
    my $line = $head + $offset;
    ok t_cmp($rc, qr/^[1-9]/, "$name: httpd -t fails");
    ok t_cmp($out, qr/line $line of \Q$file\E/, "$name: names file and line $line");
    ok t_cmp($out, $re, "$name: explains the problem");
}

# A correct device passes, with inline and file passwords, TLS pin with colons.
my $pin = join(':', ('AB') x 32);
my ($rc, $out) = check_conf(join("\n",
    device($id, 'AmtHost 127.0.0.2', 'AmtTLS off', 'AmtUser admin', "AmtPasswordFile $good_pw"),
    device('8c3f1e52-0000-4000-8000-0000000000ab', 'AmtHost amt.example', 'AmtUser admin',
           'AmtPassword x', 'AmtTLS on', "AmtTLSPin sha256/$pin", 'AmtRedirectionPort 17995'),
    'RedfishTrustedProxy 127.0.0.1 10.0.0.0/8 ::1 fd00::/8', 'AmtRelayBusyWait 0'), 1);
ok t_cmp($rc, 0, 'valid devices pass httpd -t') or diag $out;
ok t_cmp($out, qr/Syntax OK/, 'httpd -t says Syntax OK');

# mod_amt_relay without mod_redfish_amt refuses to start, with a clear message.
my ($rc2, $out2, $file2) = check_conf('', 1, 0);
my $start = `timeout 20 $httpd -X -f $file2 2>&1; echo "exit=\$?"`;
my $log = -e "$dir/error.log" ? do { local (@ARGV, $/) = ("$dir/error.log"); <> } : '';
ok t_cmp("$start$log", qr/mod_amt_relay needs mod_redfish_amt/, 'relay without mod_redfish_amt: clear error');
ok t_cmp($start, qr/exit=[1-9]/, 'relay without mod_redfish_amt: httpd refuses to start');
