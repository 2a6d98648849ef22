using System.Diagnostics;
using System.Net;
using static Switchboard.Interop.Interop;

namespace Switchboard.Bench;

/// <summary>A <c>switchboard serve</c> child process under test: started, pinned, measured, stopped.</summary>
internal sealed class ServerProcess : IDisposable
{
    private static readonly TimeSpan ListenTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private const int StderrLinesKept = 5;
    private const int SigCont = 18;

    private readonly Process _process;
    private readonly Queue<string> _stderrTail;

    private ServerProcess(Process process, Queue<string> stderrTail)
    {
        _process = process;
        _stderrTail = stderrTail;
    }

    /// <summary>Where it listens, read from its <c>listening on</c> line.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.None, 0);

    public int Pid => _process.Id;

    /// <summary>
    /// Whether the server ended without being asked to: it has exited, and had already exited
    /// when <see cref="StopAsync"/> began (an exit after the SIGTERM is the stop, not a death).
    /// </summary>
    public bool DiedOnItsOwn => _exitedBeforeStop ?? _process.HasExited;

    /// <summary>Whether <see cref="StopAsync"/> had to kill it.</summary>
    public bool WasKilled { get; private set; }

    /// <summary>How the server ended, with the last thing it logged.</summary>
    public string ExitDescription
    {
        get
        {
            string code = _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";
            return StderrTail() is { Length: > 0 } tail ? $"{code}: {tail}" : code;
        }
    }

    // Recorded when StopAsync begins: null until then.
    private bool? _exitedBeforeStop;

    /// <summary>Where it serves metrics, read from its <c>metrics on</c> line; null when started without <c>--metrics</c>.</summary>
    public Uri? MetricsUrl { get; private set; }

    /// <summary>
    /// Starts the server and waits for its <c>listening on</c> line, and with
    /// <paramref name="metrics"/> (it was given <c>--metrics</c>) the <c>metrics on</c> line after
    /// it. If that fails or <paramref name="cancel"/> fires first, the server (and any workers it
    /// forked) is killed before this throws: nothing outlives a start that did not return.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(ProcessStartInfo start, bool metrics = false, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new BenchException($"cannot start {start.FileName}");
        var stderrTail = new Queue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderrTail)
            {
                stderrTail.Enqueue(e.Data);
                if (stderrTail.Count > StderrLinesKept)
                    stderrTail.Dequeue();
            }
        };
        var server = new ServerProcess(process, stderrTail);
        try
        {
            process.BeginErrorReadLine();
            string line = await server.ReadLineStartingAsync("listening on ", cancel).ConfigureAwait(false);
            server.EndPoint = IPEndPoint.Parse(line.Split(' ')[2]);
            if (metrics)
            {
                line = await server.ReadLineStartingAsync("metrics on ", cancel).ConfigureAwait(false);
                server.MetricsUrl = new Uri(line["metrics on ".Length..]);
            }

            return server;
        }
        catch
        {
            server.Dispose(); // kills the process tree
            throw;
        }
    }

    /// <summary>The server's next line on stdout, which must start with <paramref name="start"/>.</summary>
    private async Task<string> ReadLineStartingAsync(string start, CancellationToken cancel)
    {
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync(CancellationToken.None).AsTask().WaitAsync(ListenTimeout, cancel).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new BenchException($"the server did not say '{start.TrimEnd()}' within {ListenTimeout.TotalSeconds:0} s: {StderrTail()}");
        }

        if (line is null || !line.StartsWith(start, StringComparison.Ordinal))
        {
            _process.WaitForExit(TimeSpan.FromSeconds(1)); // for its last words on stderr
            string said = StderrTail() is { Length: > 0 } tail ? tail : line ?? "no output";
            throw new BenchException($"the server did not start: {said}");
        }

        return line;
    }

    public double CpuSeconds() => ProcessStats.CpuSeconds(Pid);

    public (long Rss, long Peak) Memory() => ProcessStats.Memory(Pid);

    /// <summary>Whether the server (or one of its workers) is stopped, by SIGSTOP or a debugger: hung.</summary>
    public bool IsStopped() => !_process.HasExited && ProcessStats.AnyStopped(Pid);

    /// <summary>Graceful stop (SIGTERM), then a kill if it lingers.</summary>
    public async Task StopAsync()
    {
        bool exited = _process.HasExited;
        _exitedBeforeStop ??= exited;
        if (exited)
            return;
        _ = ProcessControl.Signal(Pid, ProcessControl.SIGTERM);
        _ = ProcessControl.Signal(Pid, SigCont); // a stopped server takes the SIGTERM now rather than being killed in 15 s
        try
        {
            await _process.WaitForExitAsync().WaitAsync(StopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            WasKilled = true;
            _process.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it ended meanwhile
        }

        _process.Dispose();
    }

    private string StderrTail()
    {
        lock (_stderrTail)
            return string.Join(" | ", _stderrTail);
    }
}
