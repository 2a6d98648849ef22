using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// The C floor: <c>bench/peers/epoll-echo.c</c>, a plain single-threaded epoll echo server in C,
/// so the engines are measured against what the kernel and libc cost with nothing of .NET in the
/// way. The bench compiles it when asked for (<c>cc -O2</c>, into its own folder), from the source
/// found in the source tree or given with <c>--c-peer</c>; or <c>--c-peer</c> gives an
/// <c>epoll-echo</c> built already.
/// </summary>
internal sealed class CEpollPeer : ReferencePeer
{
    /// <summary>The source, from the repository's root.</summary>
    public const string SourcePath = "bench/peers/epoll-echo.c";

    private static readonly CProgram Program = new("the C epoll peer", SourcePath, "epoll-echo");

    public override string Name => "c-epoll";

    public override string Title => Program.Title;

    public override string Kind => "an echo server";

    public override IReadOnlyList<string> Scenarios => EchoScenarios;

    public override string Option => "--c-peer";

    public override bool SpeaksTls => false;

    public override string NotFound =>
        $"the C epoll peer's source, {SourcePath}, is not found (looked above the working directory and above the bench): run the bench from a clone of the repository, or give --c-peer PATH";

    /// <summary>
    /// <paramref name="given"/> (<c>--c-peer</c>): a C source, which the bench compiles, or an
    /// executable file, run as it is; null if it is neither.
    /// </summary>
    public override string? LocateGiven(string given)
    {
        string path = Path.GetFullPath(given);
        if (!File.Exists(path))
            return null;
        return IsSource(path) || (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0 ? path : null;
    }

    public override string NotThere(string given) =>
        $"neither a C source (.c) nor an executable file (give {SourcePath}, which the bench compiles with cc, or an epoll-echo built from it)";

    protected override string? InTree(string root) =>
        Path.Combine(root, SourcePath) is var source && File.Exists(source) ? source : null;

    /// <summary>A source cannot be compiled without <c>cc</c> on PATH.</summary>
    public override string? CannotRun(string located) =>
        IsSource(located) ? Program.CannotCompile(located, "give --c-peer an epoll-echo built already") : null;

    /// <summary>A source is compiled (<see cref="CProgram.Compile"/>), into the bench's folder; a program is run as it is.</summary>
    public override string Prepare(string located) => IsSource(located) ? Program.Compile(located) : located;

    /// <summary>Runs the program on a free port. It has no TLS: a run with --tls refuses it before it starts.</summary>
    public override ProcessStartInfo StartInfo(string path, BenchTls? tls)
    {
        if (tls is not null)
            throw new BenchException($"{Title} has no TLS");
        var start = new ProcessStartInfo(path) { UseShellExecute = false };
        start.ArgumentList.Add("0");
        return start;
    }

    private static bool IsSource(string path) => path.EndsWith(".c", StringComparison.Ordinal);
}
