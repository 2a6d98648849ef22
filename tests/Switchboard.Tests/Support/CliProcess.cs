using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using static Switchboard.Interop.Interop;

namespace Switchboard.Tests.Support;

/// <summary>
/// The real <c>switchboard</c> executable (or the benchmark's, <c>switchboard-bench</c>), run as a
/// child process with its output captured.
/// </summary>
public sealed partial class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly EventLog<string> _stderrLines = new();

    private CliProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_stderr)
                _stderr.AppendLine(e.Data);
            _stderrLines.Add(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    public EventLog<string> StderrLines => _stderrLines;

    private const string SwitchboardDll = "switchboard.dll";
    private const string BenchDll = "switchboard-bench.dll";

    public static CliProcess Start(params string[] args) => Start(null, SwitchboardDll, args);

    /// <summary>Runs the executable from a shell after <paramref name="shellSetup"/> (e.g. "ulimit -n 160").</summary>
    public static CliProcess StartUnder(string shellSetup, params string[] args) => Start(shellSetup, SwitchboardDll, args);

    /// <summary>
    /// Runs the executable through <paramref name="launcher"/>, a program that runs the command
    /// line it is given (<c>systemd-socket-activate -l ADDRESS</c>, say).
    /// </summary>
    public static CliProcess StartThrough(IReadOnlyList<string> launcher, params string[] args)
    {
        var start = new ProcessStartInfo(launcher[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in launcher.Skip(1))
            start.ArgumentList.Add(arg);
        start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, SwitchboardDll));
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        return new CliProcess(Process.Start(start)!);
    }

    /// <summary>Runs another program (<c>openssl s_client</c>, <c>socat</c>), its output captured as the executable's is.</summary>
    public static CliProcess StartTool(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        return new CliProcess(Process.Start(start)!);
    }

    private static CliProcess Start(string? shellSetup, string program, string[] args)
    {
        var start = new ProcessStartInfo(shellSetup is null ? DotnetHost() : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (shellSetup is not null)
        {
            // sh -c 'SETUP && exec "$0" "$@"' DOTNET PROGRAM.dll ARGS...
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"{shellSetup} && exec \"$0\" \"$@\"");
            start.ArgumentList.Add(DotnetHost());
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        return new CliProcess(Process.Start(start)!);
    }

    /// <summary>Runs to completion; returns exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(SwitchboardDll, args);

    /// <summary>Runs the benchmark, <c>switchboard-bench</c>, to completion; returns exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunBenchAsync(params string[] args) => RunAsync(BenchDll, args);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, string[] args)
    {
        using var cli = Start(null, program, args);
        string stdout = await cli._process.StandardOutput.ReadToEndAsync().WaitAsync(Timeouts.Patient);
        int code = await cli.WaitForExitAsync();
        return (code, stdout, cli.Stderr);
    }

    /// <summary>Reads the first stdout line, which must be the "listening on" line; returns the endpoint.</summary>
    public async Task<(IPEndPoint EndPoint, string Line)> ReadListeningLineAsync()
    {
        string? line = await _process.StandardOutput.ReadLineAsync().WaitAsync(Timeouts.Patient);
        Assert.True(line is not null, $"no output; stderr: {Stderr}");
        var match = ListeningLine().Match(line);
        Assert.True(match.Success, $"unexpected first line: {line}");
        return (IPEndPoint.Parse(match.Groups["endpoint"].Value), line);
    }

    /// <summary>
    /// Reads the next stdout line, which must be <c>serve chat --irc-port</c>'s second listening
    /// line (<c>listening on IP:PORT (chat over IRC, ENGINE)</c>); returns where it speaks IRC.
    /// </summary>
    public async Task<IPEndPoint> ReadIrcListeningLineAsync(string? engine = null)
    {
        string? line = await ReadLineAsync();
        Assert.True(line is not null, $"no second line; stderr: {Stderr}");
        var match = IrcListeningLine().Match(line);
        Assert.True(match.Success, $"not IRC's listening line: {line}");
        if (engine is not null)
            Assert.Equal(engine, match.Groups["engine"].Value);
        return IPEndPoint.Parse(match.Groups["endpoint"].Value);
    }

    /// <summary>Reads the next stdout line, which must be <c>serve chat --web</c>'s <c>web on http://IP:PORT/</c>; returns the page's address.</summary>
    public async Task<Uri> ReadWebLineAsync()
    {
        string? line = await ReadLineAsync();
        Assert.True(line is not null && (line.StartsWith("web on http://", StringComparison.Ordinal) || line.StartsWith("web on https://", StringComparison.Ordinal)), $"not the web line: {line}; stderr: {Stderr}");
        return new Uri(line["web on ".Length..]);
    }

    public async Task<string?> ReadLineAsync() =>
        await _process.StandardOutput.ReadLineAsync().WaitAsync(Timeouts.Patient);

    /// <summary>Reads stdout lines until one starts with <paramref name="prefix"/>; fails if output ends first.</summary>
    public async Task ReadUntilAsync(string prefix)
    {
        var seen = new List<string>();
        while (await ReadLineAsync() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return;
            seen.Add(line);
        }

        Assert.Fail($"output ended before '{prefix}'; saw: {string.Join(" | ", seen)}");
    }

    public async Task<string> ReadToEndAsync() =>
        await _process.StandardOutput.ReadToEndAsync().WaitAsync(Timeouts.Patient);

    public async Task WriteInputAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    public int Pid => _process.Id;

    public void Terminate() => Assert.True(Signal(_process.Id, SigTerm), $"cannot signal {_process.Id}");

    /// <summary>Sends <paramref name="signal"/> to any process; false if it is gone.</summary>
    public static bool Signal(int pid, int signal) => ProcessControl.Signal(pid, signal);

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Timeouts.Patient);
        _process.WaitForExit(); // flushes the redirected stderr
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then asserts a graceful exit (code 0).</summary>
    public async Task StopGracefullyAsync()
    {
        Terminate();
        Assert.Equal(0, await WaitForExitAsync());
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(Timeouts.Patient); // gone when this returns (a control group it was in can then be removed)
        }

        _process.Dispose();
    }

    /// <summary>A forking server: the pid of the worker that logged taking <paramref name="client"/>'s connection.</summary>
    public async Task<int> WorkerServingAsync(TestClient client)
    {
        string taken = $"Got connection from {client.Socket.LocalEndPoint}";
        var lines = await StderrLines.WaitUntilAsync(l => l.Any(x => x.EndsWith(taken, StringComparison.Ordinal)));
        var match = WorkerLine().Match(lines.Last(x => x.EndsWith(taken, StringComparison.Ordinal)));
        return int.Parse(match.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The dotnet host running the tests, to run other .NET programs with.</summary>
    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private const int SigTerm = ProcessControl.SIGTERM;

    [GeneratedRegex(@"\[worker (?<pid>\d+)\] ")]
    private static partial Regex WorkerLine();

    [GeneratedRegex(@"^listening on (?<endpoint>\S+) \((?<app>\w+), (?<engine>\w+)\)$")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"^listening on (?<endpoint>\S+) \(chat over IRC, (?<engine>\w+)\)$")]
    private static partial Regex IrcListeningLine();
}
