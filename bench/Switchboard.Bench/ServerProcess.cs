using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;

namespace Switchboard.Bench;

/// <summary>A <c>switchboard serve</c> child process under test: started, pinned, measured, stopped.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, IPEndPoint endPoint)
    {
        _process = process;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public int Pid => _process.Id;

    /// <summary>Starts the server and waits for its <c>listening on</c> line.</summary>
    public static async Task<ServerProcess> StartAsync(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException("the server did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (line is null || !line.StartsWith("listening on ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the server did not start listening: {line ?? "no output"}");
        }

        var endPoint = IPEndPoint.Parse(line.Split(' ')[2]);
        return new ServerProcess(process, endPoint);
    }

    public double CpuSeconds() => ProcessStats.CpuSeconds(Pid);

    public (long Rss, long Peak) Memory() => ProcessStats.Memory(Pid);

    /// <summary>Graceful stop (SIGTERM), then a kill if it lingers.</summary>
    public async Task StopAsync()
    {
        _ = Kill(Pid, 15);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
