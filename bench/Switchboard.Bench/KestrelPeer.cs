using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// The .NET reference peer: <c>bench/Switchboard.KestrelEcho</c>, an echo server on Kestrel
/// (ASP.NET Core's <c>ConnectionHandler</c>), so Switchboard's engines are measured next to the
/// standard .NET server in the same run. Given with <c>--kestrel PATH</c>, or found built in the
/// source tree (Release preferred).
/// </summary>
internal sealed class KestrelPeer : ReferencePeer
{
    /// <summary>The file the peer's build makes.</summary>
    public const string FileName = "Switchboard.KestrelEcho.dll";

    /// <summary>How to build the peer, from the repository's root.</summary>
    public const string BuildCommand = "dotnet build -c Release bench/Switchboard.KestrelEcho";

    public override string Name => "kestrel";

    public override string Title => "the Kestrel peer";

    public override string Kind => "an echo server";

    public override IReadOnlyList<string> Scenarios => EchoScenarios;

    public override string Option => "--kestrel";

    public override bool SpeaksTls => true; // Kestrel's own TLS, its HTTPS connection middleware

    public override string NotFound =>
        $"the Kestrel peer is not built (looked above the working directory and above the bench): build it with '{BuildCommand}' from the repository, or give --kestrel PATH";

    /// <summary>
    /// <paramref name="given"/> (<c>--kestrel</c>): the peer's <c>.dll</c>, the folder it is in,
    /// or the project's folder (its Release or Debug build); null if none of these is there.
    /// </summary>
    public override string? LocateGiven(string given)
    {
        string path = Path.GetFullPath(given);
        if (File.Exists(path))
            return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? path : null;
        if (!Directory.Exists(path))
            return null;
        string beside = Path.Combine(path, FileName);
        return File.Exists(beside) ? beside : BuiltIn(path);
    }

    public override string NotThere(string given) =>
        $"no {FileName} there (give the built peer's .dll or its folder; build it with '{BuildCommand}')";

    protected override string? InTree(string root) => BuiltIn(Path.Combine(root, "bench", "Switchboard.KestrelEcho"));

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

    /// <summary>Runs the peer's .dll with the dotnet host; with <paramref name="tls"/>, Kestrel's own TLS with the bench's certificate.</summary>
    public override ProcessStartInfo StartInfo(string path, BenchTls? tls)
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
