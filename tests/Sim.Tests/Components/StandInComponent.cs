namespace Runai.Sim.Tests.Components;

/// <summary>
/// A stand-in for a component executable: a Perl script (Debian's perl-base is always there) that takes the same flags
/// (<c>--listen ADDR:PORT --kubeconfig PATH</c>), logs a line with its pid and downward-API env, serves /healthz,
/// /readyz and /metrics, and exits 0 on SIGTERM.
/// </summary>
internal static class StandInComponent
{
    public const string Image = "test/stand-in:dev";

    private const string Script = """
        use strict; use warnings; use IO::Socket::INET;
        $| = 1;
        my ($listen, $kubeconfig) = ('127.0.0.1:8080', '');
        while (@ARGV) {
          my $a = shift @ARGV;
          if ($a eq '--listen') { $listen = shift @ARGV }
          elsif ($a =~ /^--listen=(.*)$/) { $listen = $1 }
          elsif ($a eq '--kubeconfig') { $kubeconfig = shift @ARGV }
        }
        my ($host, $port) = $listen =~ /^(.*):(\d+)$/;
        $host = '127.0.0.1' if !$host;
        my $server = IO::Socket::INET->new(LocalAddr => $host, LocalPort => $port, Listen => 16, ReuseAddr => 1)
          or die "cannot listen on $listen: $!";
        $SIG{TERM} = sub { print "stand-in pid $$ got SIGTERM\n"; exit 0 };
        print "stand-in pid $$ listening on $host:$port pod=" . ($ENV{POD_NAME} // '') . " kubeconfig=$kubeconfig env=" . ($ENV{KUBECONFIG} // '') . "\n";
        print STDERR "stand-in pid $$ writes to stderr too\n";
        my $requests = 0;
        while (1) {
          my $c = $server->accept or next;
          my $line = <$c> // '';
          my ($path) = $line =~ m{^\S+\s+(\S+)};
          $path //= '/';
          while (my $h = <$c>) { last if $h =~ /^\r?\n$/ }
          $requests++;
          my ($code, $body) = (200, "ok\n");
          if ($path eq '/metrics') { $body = "# TYPE standin_requests_total counter\nstandin_requests_total $requests\nstandin_pid $$\n" }
          elsif ($path !~ m{^/(healthz|readyz)$}) { ($code, $body) = (404, "not found\n") }
          print $c "HTTP/1.0 $code X\r\nContent-Type: text/plain\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
          close $c;
        }
        """;

    /// <summary>Writes the script into <paramref name="directory"/> and answers the image map entry that runs it.</summary>
    public static string MapEntry(string directory)
    {
        var path = Path.Combine(directory, "stand-in.pl");
        File.WriteAllText(path, Script + "\n");
        return $"{Image}=perl {path}";
    }
}
