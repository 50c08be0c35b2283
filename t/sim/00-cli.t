#!/usr/bin/perl
# Command line: --help documents every key and knob, bad input is rejected
# with a message, --config files work, the ready file lists bound ports.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use AmtSim;
use File::Temp qw(tempdir);

my $bin = AmtSim::bin();
my $help = `$bin --help`;
is($? >> 8, 0, '--help exits 0');
for my $k (qw(id= addr= mode= consent= user= password= tls= cert= key= wsman-port= redir-port= power= kvm= sol=
              listener= fw= model= --config --control --ready-file --pid-file wsman-latency= wsman-max-conn=
              drop-after= busy= slow-reader= sol-bulk= kvm-bulk= down=)) {
    like($help, qr/\Q$k\E/, "--help documents $k");
}
my $err = `$bin --device 'id=not-a-uuid,addr=127.0.1.24' 2>&1`;
is($? >> 8, 2, 'bad id: exit 2');
like($err, qr/not a UUID/, 'bad id: message');
$err = `$bin --device 'id=11111111-2222-3333-4444-555555555555,addr=127.0.1.24,mode=xyz' 2>&1`;
like($err, qr/bad value for mode/, 'bad mode: message');
$err = `$bin --device 'id=11111111-2222-3333-4444-555555555555,addr=127.0.1.24,tls=on' 2>&1`;
like($err, qr/needs cert= and key=/, 'tls without cert: message');
$err = `$bin 2>&1`;
is($? >> 8, 2, 'no device: exit 2');

my $dir = tempdir(CLEANUP => 1);
open my $fh, '>', "$dir/sim.conf" or die;
print {$fh} "# two devices\n",
    "id=24242424-0000-4000-8000-000000000001, addr=127.0.1.24, wsman-port=0, redir-port=0\n\n",
    "id=24242424-0000-4000-8000-000000000002,addr=127.0.1.24,wsman-port=0,redir-port=0,mode=ccm  # ccm\n";
close $fh;
my $sim = AmtSim->new(args => ['--config', "$dir/sim.conf", '--pid-file', "$dir/pid"]);
my $p1 = $sim->ports('24242424-0000-4000-8000-000000000001');
my $p2 = $sim->ports('24242424-0000-4000-8000-000000000002');
ok($p1 && $p1->{wsman} > 0 && $p1->{redir} > 0 && $p1->{'wsman-tls'} == 0, 'ready file: first device ports');
ok($p2 && $p2->{wsman} > 0 && $p2->{wsman} != $p1->{wsman}, 'ready file: second device, own ports');
ok(-s "$dir/pid", 'pid file written');
my $list = $sim->ctl('list');
like($list, qr/24242424-0000-4000-8000-000000000002 127\.0\.1\.24/, 'control: list');
is($sim->state('24242424-0000-4000-8000-000000000002')->{mode}, 'ccm', 'config key applied');
my $ws = AmtSim::Wsman->new(host => '127.0.1.24', port => $p2->{wsman}, pass => 'P@ssw0rd');
like($ws->post(AmtSim::Wsman::get_xml('http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SetupAndConfigurationService'))->{body},
     qr/<g:ProvisioningMode>4</, 'default credentials; device on an ephemeral port answers');
is($sim->stop, 0, 'clean exit');
ok(!-e "$dir/pid", 'pid file removed at exit');

# tls=both: four listeners; the TLS ones present the test CA's certificate
my $ca = AmtSim::test_ca();
my $both = AmtSim->new(devices => ["id=24242424-0000-4000-8000-000000000003,addr=127.0.1.24,tls=both,cert=$ca/server.pem,"
    . "key=$ca/server-key.pem,wsman-port=0,redir-port=0,wsman-tls-port=0,redir-tls-port=0"]);
my $pb = $both->ports('127.0.1.24');
ok($pb->{wsman} && $pb->{redir} && $pb->{'wsman-tls'} && $pb->{'redir-tls'}, 'tls=both: plain and TLS ports bound');
require IO::Socket::SSL;
my $tls = IO::Socket::SSL->new(PeerHost => '127.0.1.24', PeerPort => $pb->{'redir-tls'}, SSL_ca_file => "$ca/ca.pem",
                               SSL_verifycn_name => '127.0.1.24', SSL_verifycn_scheme => 'http');
ok($tls, 'TLS redirection port: certificate verifies against the test CA for the IP') or diag(IO::Socket::SSL::errstr() . " port $pb->{'redir-tls'}");
close $tls if $tls;
is($both->stop, 0, 'clean exit (tls=both)');
done_testing;
