# Both modules load into the MPM this run was started with.
use strict;
use warnings FATAL => 'all';
use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil;

plan tests => 4;

my $vars  = Apache::Test::vars();
my $httpd = $vars->{httpd};
my $conf  = "$vars->{t_conf}/httpd.conf";
my $mods  = `$httpd -f $conf -M 2>&1`;

ok t_cmp($mods, qr/\bredfish_amt_module \(shared\)/, 'mod_redfish_amt is loaded');
ok t_cmp($mods, qr/\bamt_relay_module \(shared\)/, 'mod_amt_relay is loaded');
my ($mpm) = $ENV{RFAMT_STATEDIR} =~ m{/(event|worker|prefork)$};
ok t_cmp($mods, qr/\bmpm_${mpm}_module\b/, "running under the $mpm MPM");

# The server started with these modules and answers.
my $res = GET '/index.html';
ok t_cmp($res->code, 200, 'server answers with both modules loaded');
