using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// The reference peer: <c>bench/Switchboard.KestrelEcho</c>, an echo server on Kestrel (ASP.NET
/// Core's <c>ConnectionHandler</c>), so Switchboard's engines are measured next to the standard
/// .NET server in the same run. Given with <c>--kestrel PATH</c>, or found built in the source
/// tree above the working directory or above the bench (Release preferred).
/// </summary>
public static class KestrelPeer
{
    /// <summary>The name to list in <c>--engines</c>.</summary>
    public const string Name = "kestrel";

    /// <summary>The file the peer's build makes.</summary>
    public const string FileName = "Switchboard.KestrelEcho.dll";

    /// <summary>How to build the peer, from the repository's root.</summary>
    public const string BuildCommand = "dotnet build -c Release bench/Switchboard.KestrelEcho";

    /// <summary>
    /// The built peer: found above the working directory (the clone the user is in, which an
    /// installed bench knows of no other way), then above the bench's own folder (a bench run from
    /// its source tree); null if neither has it.
    /// </summary>
    public static string? Locate() =>
        LocateAbove(Environment.CurrentDirectory) ?? LocateAbove(AppContext.BaseDirectory);

    /// <summary>
    /// <paramref name="given"/> (<c>--kestrel</c>): the peer's <c>.dll</c>, the folder it is in,
    /// or the project's folder (its Release or Debug build); null if none of these is there.
    /// </summary>
    public static string? LocateGiven(string given)
    {
        string path = Path.GetFullPath(given);
        if (File.Exists(path))
            return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? path : null;
        if (!Directory.Exists(path))
            return null;
        string beside = Path.Combine(path, FileName);
        return File.Exists(beside) ? beside : BuiltIn(path);
    }

    private static string? LocateAbove(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (BuiltIn(Path.Combine(dir.FullName, "bench", "Switchboard.KestrelEcho")) is { } found)
                return found;
        }

        return null;
    }

    /// <summary>The peer built in its project folder <paramref name="project"/>, Release before Debug.</summary>
    private static string? BuiltIn(string project)
    {
        foreach (string configuration in new[] { "Release", "Debug" })
        {
            string candidate = Path.Combine(project, "bin", configuration, "net10.0", FileName);
            if (File.Exists(candidate))
                return candidate;
        }

        return null;
    }

    /// <summary>Runs the peer on a free port; with <paramref name="tls"/>, Kestrel's own TLS (its HTTPS connection middleware) with the bench's certificate.</summary>
    internal static ProcessStartInfo StartInfo(string path, BenchTls? tls = null)
    {
        var start = new ProcessStartInfo(DotnetHost.Path) { UseShellExecute = false };
        start.ArgumentList.Add(path);
        start.ArgumentList.Add("0");
        if (tls is { CertPath: { } cert, KeyPath: { } key })
        {
            start.ArgumentList.Add(cert);
            start.ArgumentList.Add(key);
        }

        return start;
    }
}
