# Service entry points and the protocol rules every response follows:
# OData-Version, Cache-Control, Link describedby, ETag, 405 + Allow, 412, 404, 501.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;


my $rf = RedfishClient->new;

my ($res, $d) = $rf->get('/redfish');
is($res->code, 200, 'GET /redfish');
is($d->{v1}, '/redfish/v1/', '/redfish names v1');

for my $path ('/redfish/v1/', '/redfish/v1') {
    ($res, $d) = $rf->get($path);
    is($res->code, 200, "GET $path without credentials");
    is($res->header('OData-Version'), '4.0', 'OData-Version: 4.0');
    ok($res->header('Cache-Control'), 'Cache-Control present');
    like($res->header('Link') // '', qr{^<[^>]+ServiceRoot\.v1_\d+_\d+\.json>; rel=describedby$},
         'Link rel=describedby');
    like($res->header('ETag') // '', qr{^W/"[0-9a-f]+"$}, 'ETag');
    is($d->{'@odata.id'}, '/redfish/v1', '@odata.id');
    like($d->{'@odata.type'}, qr/^#ServiceRoot\.v1_\d+_\d+\.ServiceRoot$/, '@odata.type');
}
my $uuid = $d->{UUID};
like($uuid, qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'UUID');
(undef, $d) = $rf->get('/redfish/v1/');
is($d->{UUID}, $uuid, 'UUID is stable');

($res, $d) = $rf->get('/redfish/v1/odata');
is($res->code, 200, 'odata service document');
ok((grep { $_->{url} eq '/redfish/v1/Systems' } @{ $d->{value} }), 'odata lists Systems');

($res) = $rf->get('/redfish/v1/$metadata');
is($res->code, 200, '$metadata');
like($res->header('Content-Type'), qr{^application/xml}, '$metadata is XML');
is($res->header('OData-Version'), '4.0', '$metadata OData-Version');
like($res->content, qr{Uri="http://redfish.dmtf.org/schemas/v1/ComputerSystem_v1.xml"}, 'references DMTF CSDL');
like($res->content, qr{Uri="/redfish/v1/schemas/IntelComputerSystem_v1.xml"}, 'references our OEM CSDL');
($res) = $rf->get('/redfish/v1/schemas/IntelComputerSystem_v1.xml');
is($res->code, 200, 'OEM CSDL served');
like($res->content, qr{<Action Name="GenerateRedirectionToken" IsBound="true">}, 'OEM CSDL declares actions');
like($res->content, qr{<ComplexType Name="AMT" BaseType="Resource.OemObject">}, 'OEM CSDL declares Oem.Intel');
# both XML documents must at least be well-formed
for my $p ('/redfish/v1/$metadata', '/redfish/v1/schemas/IntelComputerSystem_v1.xml') {
    my ($r) = $rf->get($p);
    my $ok = eval { require XML::Parser; XML::Parser->new->parse($r->content); 1 };
    $ok = ($r->content =~ /<\/edmx:Edmx>\s*$/) if !$ok && $@ =~ /Can't locate/;
    ok($ok, "$p is well-formed XML") or diag $@;
}

# 405 with Allow
for my $m (qw(DELETE POST PATCH)) {
    ($res, $d) = $rf->request($m => '/redfish/v1/', body => {});
    is($res->code, 405, "$m /redfish/v1/ -> 405");
    like($res->header('Allow') // '', qr/^GET, HEAD$/, 'Allow: GET, HEAD');
}
is(RedfishClient::error_id($d), 'OperationNotAllowed', 'OperationNotAllowed');

# 412 for an OData-Version we do not speak
($res, $d) = $rf->get('/redfish/v1/', undef, headers => { 'OData-Version' => '4.1' });
is($res->code, 412, 'OData-Version 4.1 -> 412');
($res) = $rf->get('/redfish/v1/', undef, headers => { 'OData-Version' => '4.0' });
is($res->code, 200, 'OData-Version 4.0 accepted');

# 404s with a Base message
($res, $d) = $rf->get('/redfish/v1/NoSuchThing');
is($res->code, 404, 'unknown URI -> 404');
is(RedfishClient::error_id($d), 'ResourceMissingAtURI', 'ResourceMissingAtURI');

# HEAD: headers, no body
($res) = $rf->request(HEAD => '/redfish/v1/');
ok($res->code == 200 && !length($res->content) && $res->header('Link'), 'HEAD with Link, no body');

$rf->validate_all;
done_testing();
