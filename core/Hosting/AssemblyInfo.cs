using System.Runtime.CompilerServices;

// The host's pure pieces (flags, durations, readiness) are tested directly, without widening the public surface.
[assembly: InternalsVisibleTo("Runai.Hosting.Tests")]

// The two executables that host components; the host machinery is theirs, not part of Runai.Core's public surface.
[assembly: InternalsVisibleTo("Runai.Controllers")]
[assembly: InternalsVisibleTo("Runai.Exporter")]
