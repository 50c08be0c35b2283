package RedfishClient;
# Small Redfish client for the t/redfish tests: JSON requests against the
# Apache::Test server, sessions, and schema validation of every body seen.
#
#   my $rf = RedfishClient->new;
#   my $tok = $rf->login('operator', 'operator-pw');
#   my ($res, $json) = $rf->get('/redfish/v1/Systems', $tok);
#   $rf->validate_all;   # one ok() per body, against the DMTF schemas in t/schemas/redfish
use strict;
use warnings;
use Apache::Test;
use Apache::TestRequest ();
use File::Temp qw(tempdir);
use HTTP::Request;
use JSON::PP;
use LWP::UserAgent;
use Test::More ();
use Time::HiRes ();

our @SYSTEMS = map { sprintf '8c3f1e52-0000-4000-8000-%012d', $_ } 1 .. 4;
our ($ACM, $CCM, $TLS, $DOWN) = @SYSTEMS;
our %PASSWORD = (admin => 'admin-pw', operator => 'operator-pw', reader => 'reader-pw');

my $json = JSON::PP->new->canonical->allow_nonref;

sub new {
    my ($class, %o) = @_;
    my $self = bless {%o}, $class;
    $self->{base} = 'http://' . Apache::TestRequest::hostport();
    $self->{ua} = LWP::UserAgent->new(timeout => 30, keep_alive => 1);
    $self->{bodies} = tempdir(CLEANUP => 1);
    $self->{n} = 0;
    return $self;
}

sub base { $_[0]{base} }

# request(METHOD, PATH, token => T, body => REF|STRING, headers => {...}, basic => [u,p])
# Returns (HTTP::Response, decoded JSON or undef).
sub request {
    my ($self, $method, $path, %o) = @_;
    my $req = HTTP::Request->new($method => $path =~ m{^https?://} ? $path : $self->{base} . $path);
    $req->header('X-Auth-Token' => $o{token}) if defined $o{token};
    $req->authorization_basic(@{ $o{basic} }) if $o{basic};
    if (exists $o{body}) {
        my $b = ref $o{body} ? $json->encode($o{body}) : $o{body};
        $req->content($b);
        $req->header('Content-Type' => $o{content_type} // 'application/json');
        $req->header('Content-Length' => length $b);
    }
    my $h = $o{headers} || {};
    $req->header($_ => $h->{$_}) for keys %$h;
    my $res = $self->{ua}->request($req);
    my $data;
    my $ct = $res->header('Content-Type') // '';
    if ($ct =~ m{^application/json} && length $res->content) {
        $data = eval { $json->decode($res->decoded_content) };
        if ($data && !$o{no_validate}) {
            my $f = sprintf '%s/%04d.json', $self->{bodies}, ++$self->{n};
            open my $fh, '>', $f or die "$f: $!";
            print $fh $res->decoded_content;
            close $fh;
            $self->{label}{$f} = "$method $path -> " . $res->code;
        }
    }
    return ($res, $data);
}

sub get    { my ($s, $p, $t, %o) = @_; $s->request(GET    => $p, token => $t, %o) }
sub delete { my ($s, $p, $t, %o) = @_; $s->request(DELETE => $p, token => $t, %o) }
sub post   { my ($s, $p, $t, $b, %o) = @_; $s->request(POST  => $p, token => $t, body => $b // {}, %o) }
sub patch  { my ($s, $p, $t, $b, %o) = @_; $s->request(PATCH => $p, token => $t, body => $b, %o) }

# Logs in; returns the token (and, in list context, the session URI).
sub login {
    my ($self, $user, $pw) = @_;
    $pw //= $PASSWORD{$user};
    my ($res, $data) = $self->post('/redfish/v1/SessionService/Sessions', undef,
                                   { UserName => $user, Password => $pw });
    die "login $user failed: " . $res->status_line . "\n" . $res->content
        unless $res->code == 201;
    my $tok = $res->header('X-Auth-Token');
    push @{ $self->{sessions} }, [$tok, $res->header('Location')];
    return wantarray ? ($tok, $res->header('Location')) : $tok;
}

sub logout_all {
    my $self = shift;
    for my $s (@{ $self->{sessions} || [] }) {
        $self->delete($s->[1], $s->[0], no_validate => 1);
    }
    $self->{sessions} = [];
}

# The MessageId keys of an error body ("PropertyUnknown", ...).
sub message_ids {
    my ($data) = @_;
    return () unless $data && $data->{error};
    return map { (split /\./, $_->{MessageId})[-1] } @{ $data->{error}{'@Message.ExtendedInfo'} || [] };
}

sub error_id {
    my ($data) = @_;
    return '' unless $data && $data->{error} && $data->{error}{code};
    return (split /\./, $data->{error}{code})[-1];
}

sub system_path { "/redfish/v1/Systems/$_[1]" }
sub action_path {
    my ($self, $id, $action) = @_;
    return $action eq 'Reset'
        ? "/redfish/v1/Systems/$id/Actions/ComputerSystem.Reset"
        : "/redfish/v1/Systems/$id/Actions/Oem/IntelComputerSystem.$action";
}

# amtsimctl against the harness's simulator.
sub simctl {
    my ($self, @args) = @_;
    my $ctl = $ENV{AMTSIMCTL} or die "AMTSIMCTL not set\n";
    my $sock = $ENV{AMTSIM_CONTROL} or die "AMTSIM_CONTROL not set\n";
    my $out = `$ctl $sock @args 2>&1`;
    chomp $out;
    return $out;
}

sub sim_state {
    my ($self, $id) = @_;
    my %st = map { split /=/, $_, 2 } grep { /=/ } split /\n/, $self->simctl('state', $id);
    return \%st;
}

# Validates every JSON body seen so far, one ok() each (a single python run).
sub validate_all {
    my $self = shift;
    my @files = sort keys %{ $self->{label} || {} };
    return Test::More::ok(1, 'no bodies to validate') unless @files;
    my $tool = Apache::Test::vars('t_dir') . '/tools/validate-redfish.py';
    my %result;
    for my $line (split /\n/, `/usr/bin/python3 $tool @files 2>&1`) {
        $result{$2} = $1 eq 'ok' ? '' : ($3 // 'failed')
            if $line =~ /^(ok|not ok) (\S+?)(?::\s*(.*))?$/;
    }
    for my $f (@files) {
        my $r = $result{$f};
        Test::More::ok(defined $r && $r eq '', "schema-valid: $self->{label}{$f}")
            or Test::More::diag(defined $r ? $r : 'validator gave no verdict');
    }
    $self->{label} = {};
}

sub elapsed(&) {
    my $code = shift;
    my $t0 = Time::HiRes::time();
    my @r = $code->();
    return (Time::HiRes::time() - $t0, @r);
}

1;
