using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static Switchboard.Interop.Interop;

namespace Switchboard.Tests.Support;

/// <summary>
/// A real <c>redis-server</c>, run as a child process on a free loopback port with its own temporary
/// directory, for the Redis hub's tests. Stopped by pid; disposing it stops it and deletes the directory,
/// and the test host stopping kills any still running, so no server outlives the tests.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string ReadyLine = "Ready to accept connections";
    private const int PortAttempts = 5;

    private static readonly HashSet<RedisServer> Running = [];

    private readonly string _executable;
    private readonly bool _persistent;
    private readonly StringBuilder _output = new();
    private Process? _process;

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        RedisServer[] left;
        lock (Running)
            left = [.. Running];
        foreach (var server in left)
            server.Kill();
    };

    private RedisServer(string executable, string directory, bool persistent)
    {
        _executable = executable;
        DataDirectory = directory;
        _persistent = persistent;
    }

    public int Port { get; private set; }

    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>The running server's pid (after a stop, the pid it had).</summary>
    public int Pid { get; private set; }

    /// <summary>The server's working directory (its append-only file, when persistent).</summary>
    public string DataDirectory { get; }

    /// <summary>What the server has logged (its stdout and stderr), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>
    /// Starts a server on a free loopback port and waits until it answers PING. With
    /// <paramref name="persistent"/>, every write is in its append-only file before it is acknowledged,
    /// so <see cref="RestartAsync"/> keeps the data even after a SIGKILL.
    /// </summary>
    public static async Task<RedisServer> StartAsync(bool persistent = false)
    {
        string? executable = FindOnPath("redis-server");
        if (executable is null)
            Assert.Fail("redis-server is not installed: run ./test.sh, which installs it");
        var server = new RedisServer(executable, Directory.CreateTempSubdirectory("switchboard-redis-").FullName, persistent);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                server.Port = FreeLoopbackPort();
                if (await server.LaunchAsync())
                    return server;
                if (attempt == PortAttempts)
                    Assert.Fail($"redis-server could not bind a free port in {PortAttempts} tries; it said:\n{server.Output}");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server (SIGKILL, or SIGTERM with <paramref name="graceful"/>) and waits until it has exited.</summary>
    public async Task StopAsync(bool graceful = false)
    {
        var process = _process;
        if (process is null)
            return;
        if (!process.HasExited)
            ProcessControl.Signal(process.Id, graceful ? ProcessControl.SIGTERM : ProcessControl.SIGKILL);
        await process.WaitForExitAsync().WaitAsync(graceful ? Timeouts.Patient : Timeouts.Quick);
        process.WaitForExit(); // the output is read to its end
        Forget(process);
    }

    /// <summary>Stops the server, then starts it again on the same port and directory, and waits until it answers PING.</summary>
    public async Task RestartAsync(bool graceful = false)
    {
        await StopAsync(graceful);
        if (!await LaunchAsync())
            Assert.Fail($"redis-server could not bind port {Port} again; it said:\n{Output}");
    }

    /// <summary>
    /// Sends one command over a fresh connection and returns the reply as text: a simple string or an
    /// error as it is ("OK", "ERR unknown command …"), an integer in decimal, a bulk string as it is, a nil
    /// as "(nil)", an array's elements each on a line of its own.
    /// </summary>
    public async Task<string> CommandAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Quick);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{args.Length}\r\n");
        foreach (string arg in args)
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(arg)}\r\n{arg}\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
        return await new RespReader(stream, timeout.Token).ReadReplyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Kill(); // if the wait above gave up
            if (Directory.Exists(DataDirectory))
                Directory.Delete(DataDirectory, recursive: true);
        }
    }

    /// <summary>Runs redis-server on <see cref="Port"/>; true once it answers PING, false if the port was taken.</summary>
    private async Task<bool> LaunchAsync()
    {
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", DataDirectory,
            "--save", "", "--daemonize", "no", "--protected-mode", "no",
        ];
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        foreach (string arg in _persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : (string[])["--appendonly", "no"])
            start.ArgumentList.Add(arg);

        int logged = Output.Length; // this run's output starts here
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        DataReceivedEventHandler onOutput = (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_output)
                _output.AppendLine(e.Data);
            if (e.Data.Contains(ReadyLine, StringComparison.Ordinal))
                ready.TrySetResult();
        };
        process.OutputDataReceived += onOutput;
        process.ErrorDataReceived += onOutput;
        lock (Running)
        {
            process.Start();
            _process = process;
            Pid = process.Id;
            Running.Add(this);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited).WaitAsync(Timeouts.Quick) == exited)
        {
            process.WaitForExit();
            Forget(process);
            if (Output[logged..].Contains("Address already in use", StringComparison.Ordinal))
                return false;
            Assert.Fail($"redis-server exited with code {process.ExitCode} before it was ready; it said:\n{Output}");
        }

        string pong = await CommandAsync("PING");
        Assert.True(pong == "PONG", $"redis-server answered PING with '{pong}'");
        return true;
    }

    private void Forget(Process process)
    {
        lock (Running)
        {
            if (_process == process)
            {
                _process = null;
                Running.Remove(this);
            }
        }

        process.Dispose();
    }

    /// <summary>SIGKILL without waiting: the last resort, when a wait gave up or the test host is stopping.</summary>
    private void Kill()
    {
        Process? process;
        lock (Running)
        {
            process = _process;
            _process = null;
            Running.Remove(this);
        }

        if (process is null)
            return;
        ProcessControl.Signal(process.Id, ProcessControl.SIGKILL);
        process.WaitForExit(Timeouts.Quick);
        process.Dispose();
    }

    private static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
                return candidate;
        }

        return null;
    }

    /// <summary>A port free on 127.0.0.1 a moment ago: bound to port 0, read, released.</summary>
    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Reads one RESP2 reply from a stream.</summary>
    private sealed class RespReader(Stream stream, CancellationToken cancel)
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _start;
        private int _end;

        public async Task<string> ReadReplyAsync()
        {
            string line = await ReadLineAsync();
            string rest = line[1..];
            switch (line[0])
            {
                case '+' or '-' or ':':
                    return rest;
                case '$':
                    int length = int.Parse(rest, CultureInfo.InvariantCulture);
                    if (length < 0)
                        return "(nil)";
                    var bulk = new MemoryStream();
                    while (bulk.Length < length + 2)
                    {
                        await FillAsync();
                        int take = (int)Math.Min(_end - _start, length + 2 - bulk.Length);
                        bulk.Write(_buffer, _start, take);
                        _start += take;
                    }

                    return Encoding.UTF8.GetString(bulk.GetBuffer(), 0, length);
                case '*':
                    int count = int.Parse(rest, CultureInfo.InvariantCulture);
                    if (count < 0)
                        return "(nil)";
                    var items = new List<string>(count);
                    for (int i = 0; i < count; i++)
                        items.Add(await ReadReplyAsync());
                    return string.Join('\n', items);
                default:
                    throw new InvalidDataException($"not a RESP2 reply: {line}");
            }
        }

        private async Task<string> ReadLineAsync()
        {
            var line = new MemoryStream();
            while (true)
            {
                await FillAsync();
                int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                int stop = newline < 0 ? _end : newline + 1;
                line.Write(_buffer, _start, stop - _start);
                _start = stop;
                if (newline >= 0)
                    return Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r', '\n');
            }
        }

        /// <summary>Makes sure the buffer holds at least one unread byte.</summary>
        private async Task FillAsync()
        {
            if (_start < _end)
                return;
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancel);
            if (_end == 0)
                throw new EndOfStreamException("redis-server closed the connection before its reply ended");
        }
    }
}
