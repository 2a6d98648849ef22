using System.ComponentModel;
using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// The chat reference peer: <c>bench/peers/twisted-chat.py</c>, a chat room written as a Twisted
/// programmer would write one (a <c>LineReceiver</c> per member, one <c>transport.write</c> per
/// member per line, the default epoll reactor), speaking the part of Switchboard's chat protocol
/// the chat loads use, so that the engines' fan-out is measured next to Twisted's by the same
/// client in the same run. Given with <c>--twisted PATH</c>, or found in the source tree; run by
/// the first Python 3 that can import Twisted: <c>/usr/bin/python3</c> (where Debian's
/// <c>python3-twisted</c> installs it), then <c>python3</c> on PATH.
/// </summary>
internal sealed class TwistedPeer : ReferencePeer
{
    /// <summary>The script, from the repository's root.</summary>
    public const string ScriptPath = "bench/peers/twisted-chat.py";

    /// <summary>The interpreter Debian's package installs Twisted for.</summary>
    private const string SystemPython = "/usr/bin/python3";

    private static readonly TimeSpan ImportTimeout = TimeSpan.FromSeconds(20);

    // Looked for once per run: each look starts an interpreter.
    private static readonly Lazy<(string? Found, string Tried)> Interpreter = new(FindInterpreter);

    public override string Name => "twisted";

    public override string Title => "the Twisted chat peer";

    public override string Kind => "a chat server";

    public override IReadOnlyList<string> Scenarios { get; } = ["chat"];

    public override string Option => "--twisted";

    public override bool SpeaksTls => false;

    public override string NotFound =>
        $"the Twisted chat peer's script, {ScriptPath}, is not found (looked above the working directory and above the bench): run the bench from a clone of the repository, or give --twisted PATH";

    /// <summary><paramref name="given"/> (<c>--twisted</c>): the script; null if no file is there.</summary>
    public override string? LocateGiven(string given) => Path.GetFullPath(given) is var path && File.Exists(path) ? path : null;

    public override string NotThere(string given) => $"no file there (give the peer's script, {ScriptPath})";

    protected override string? InTree(string root) =>
        Path.Combine(root, ScriptPath) is var script && File.Exists(script) ? script : null;

    /// <summary>The script cannot run without a Python 3 that imports Twisted.</summary>
    public override string? CannotRun(string located) =>
        Interpreter.Value.Found is null
            ? $"the Twisted chat peer needs a Python 3 that can import twisted, and {Interpreter.Value.Tried}: install Twisted (Debian/Ubuntu: sudo apt-get install python3-twisted)"
            : null;

    /// <summary>
    /// Runs the script with the interpreter found, on a free port, directly (no shell between), so
    /// that the process whose CPU the bench reads is the server's. It has no TLS: a run with --tls
    /// refuses it before it starts.
    /// </summary>
    public override ProcessStartInfo StartInfo(string path, BenchTls? tls)
    {
        if (tls is not null)
            throw new BenchException($"{Title} has no TLS");
        string python = Interpreter.Value.Found ?? throw new BenchException(CannotRun(path)!);
        var start = new ProcessStartInfo(python) { UseShellExecute = false };
        start.ArgumentList.Add(path);
        start.ArgumentList.Add("0");
        return start;
    }

    /// <summary>
    /// The first of <c>/usr/bin/python3</c> and <c>python3</c> on PATH that imports Twisted, and,
    /// for the message when none does, what was tried and what each said.
    /// </summary>
    private static (string? Found, string Tried) FindInterpreter()
    {
        var candidates = new List<string>();
        if (File.Exists(SystemPython))
            candidates.Add(SystemPython);
        if (OnPath("python3") is { } onPath && !SameFile(onPath, SystemPython))
            candidates.Add(onPath);
        if (candidates.Count == 0)
            return (null, $"there is no {SystemPython} and no python3 on PATH");

        var tried = new List<string>();
        foreach (string candidate in candidates)
        {
            string? why = CannotImportTwisted(candidate);
            if (why is null)
                return (candidate, "");
            tried.Add($"{candidate} {why}");
        }

        return (null, string.Join(", and ", tried));
    }

    /// <summary>Null if <paramref name="python"/> imports Twisted; else what went wrong, as the end of a sentence.</summary>
    private static string? CannotImportTwisted(string python)
    {
        var start = new ProcessStartInfo(python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import twisted");
        try
        {
            using var process = Process.Start(start);
            if (process is null)
                return "could not be started";
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(ImportTimeout))
            {
                process.Kill();
                return $"did not finish 'import twisted' within {ImportTimeout.TotalSeconds:0} s";
            }

            process.WaitForExit();
            if (process.ExitCode == 0)
                return null;
            string said = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? stdout.Result.Trim();
            return said.Contains("No module named", StringComparison.Ordinal) ? "has no twisted module" : $"failed to import twisted ({said})";
        }
        catch (Win32Exception e)
        {
            return $"could not be started ({e.Message})";
        }
    }

    /// <summary>The first executable <paramref name="name"/> in a folder of PATH, or null.</summary>
    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(file => File.Exists(file) && (File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0);

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> are the same file once links are followed.</summary>
    private static bool SameFile(string a, string b) => File.Exists(b) && Resolved(a) == Resolved(b);

    private static string Resolved(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
}
