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

    /// <summary>The program the bench compiles, in its own folder.</summary>
    public static string BuiltPath => Path.Combine(AppContext.BaseDirectory, "epoll-echo");

    private static readonly TimeSpan CompileTimeout = TimeSpan.FromSeconds(60);

    public override string Name => "c-epoll";

    public override string Title => "the C epoll peer";

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
        IsSource(located) && Compiler() is null
            ? $"the C epoll peer is compiled with '{CompileCommand(located)}', and cc is not on PATH: install a C compiler (Debian/Ubuntu: sudo apt-get install gcc), or give --c-peer an epoll-echo built already"
            : null;

    /// <summary>
    /// A source is compiled to <see cref="BuiltPath"/> (every time: it takes a fraction of a
    /// second, and an old build can never be run by mistake), through a temporary file renamed
    /// into place, so that two benches compiling at once never run a half-written program.
    /// </summary>
    public override string Prepare(string located)
    {
        if (!IsSource(located))
            return located;
        if (CannotRun(located) is { } why)
            throw new BenchException(why);
        string temporary = $"{BuiltPath}.{Environment.ProcessId}.tmp";
        var start = new ProcessStartInfo(Compiler()!) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in CompileArguments(temporary, located))
            start.ArgumentList.Add(argument);
        try
        {
            using var cc = Process.Start(start) ?? throw new BenchException($"cannot start '{CompileCommand(located)}'");
            var stdout = cc.StandardOutput.ReadToEndAsync();
            var stderr = cc.StandardError.ReadToEndAsync();
            if (!cc.WaitForExit(CompileTimeout))
            {
                cc.Kill();
                throw new BenchException($"'{CompileCommand(located)}' did not finish within {CompileTimeout.TotalSeconds:0} s");
            }

            cc.WaitForExit();
            if (cc.ExitCode != 0)
            {
                string said = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? stdout.Result.Trim();
                throw new BenchException($"compiling the C epoll peer failed: '{CompileCommand(located)}' exited with {cc.ExitCode}: {said}");
            }

            File.Move(temporary, BuiltPath, overwrite: true);
            return BuiltPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            throw new BenchException($"compiling the C epoll peer failed: '{CompileCommand(located)}': {e.Message}");
        }
        finally
        {
            File.Delete(temporary); // gone already when it was moved into place
        }
    }

    /// <summary>Runs the program on a free port. It has no TLS: a run with --tls refuses it before it starts.</summary>
    public override ProcessStartInfo StartInfo(string path, BenchTls? tls)
    {
        if (tls is not null)
            throw new BenchException($"{Title} has no TLS");
        var start = new ProcessStartInfo(path) { UseShellExecute = false };
        start.ArgumentList.Add("0");
        return start;
    }

    /// <summary>The command that compiles <paramref name="source"/>, as a user would type it.</summary>
    public static string CompileCommand(string source) => string.Join(' ', ["cc", .. CompileArguments(BuiltPath, source)]);

    private static string[] CompileArguments(string output, string source) => ["-O2", "-o", output, source];

    private static bool IsSource(string path) => path.EndsWith(".c", StringComparison.Ordinal);

    /// <summary><c>cc</c> on PATH, or null.</summary>
    private static string? Compiler() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "cc"))
        .FirstOrDefault(candidate => File.Exists(candidate) && (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0);
}
