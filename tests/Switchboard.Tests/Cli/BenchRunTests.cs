using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The benchmark as a user meets it beyond one clean run: interrupted by a signal, facing a chat
/// server that throttles, repeated, and its help and one-line errors for the options that do so.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class BenchRunTests : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    [Theory]
    [InlineData(SigInt)]
    [InlineData(SigTerm)]
    public async Task A_signal_keeps_what_the_load_measured_so_far_marked_partial(int signal)
    {
        using var echo = new CountingEchoServer(enough: 200 * 32); // 200 round trips of 32 bytes
        using var bench = BenchProcess.Start("latency", "--target", echo.EndPoint.ToString(), "--duration", "60s", "--clients", "4", "--out", _out);
        await bench.StderrLines.WaitUntilAsync(l => l.Contains("latency on target: measuring for 60 s"), Timeouts.Patient, "the progress line");
        await echo.Enough.WaitAsync(Timeouts.Patient);
        Assert.True(CliProcess.Signal(bench.Pid, signal));

        int code = await bench.WaitForExitAsync();
        string stdout = bench.Stdout;
        Assert.True(code == 130, $"exit {code}; stdout: {stdout}; stderr: {bench.Stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "latency.json")));
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.True(result.GetProperty("Partial").GetBoolean());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("Failure").ValueKind);
        Assert.True(result.GetProperty("Messages").GetInt64() >= 200 - 4); // echoed 200; up to one round trip per client still on its way back
        Assert.True(result.GetProperty("MessagesPerSecond").GetDouble() > 0);
        Assert.True(result.GetProperty("LatencyP99Micros").GetDouble() > 0);
        Assert.InRange(result.GetProperty("Seconds").GetDouble(), 0.001, 50);
        Assert.Matches(@"^target +[\d,]+ .* partial: interrupted after \d+\.\d s of 60 s$",
            stdout.ReplaceLineEndings("\n").Split('\n').Single(r => r.StartsWith("target ", StringComparison.Ordinal)));
        Assert.Contains(bench.StderrLines.Snapshot(), l => l.StartsWith("latency on target: interrupted after ", StringComparison.Ordinal) && l.EndsWith("marked partial", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_out, "latency-rate.png")));
    }

    [Fact]
    public async Task A_signal_during_the_first_engine_marks_the_engines_after_it_not_run()
    {
        using var bench = BenchProcess.Start("latency", "--engines", "epoll,threading,poll", "--duration", "60s", "--clients", "4", "--out", _out);
        await bench.StderrLines.WaitUntilAsync(l => l.Contains("latency on epoll: measuring for 60 s"), Timeouts.Patient, "the first engine's progress line");
        Assert.True(CliProcess.Signal(bench.Pid, SigInt));

        int code = await bench.WaitForExitAsync();
        string stdout = bench.Stdout;
        Assert.True(code == 130, $"exit {code}; stdout: {stdout}; stderr: {bench.Stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "latency.json")));
        var results = json.RootElement.GetProperty("Results").EnumerateArray().ToList();
        Assert.Equal(["epoll", "threading", "poll"], results.Select(r => r.GetProperty("Engine").GetString()));
        Assert.False(results[0].GetProperty("NotRun").GetBoolean());
        // Stopped by the signal, not by its 60 s: partial, or (signalled while still connecting) nothing measured.
        Assert.True(
            results[0].GetProperty("Partial").GetBoolean() || results[0].GetProperty("Failure").GetString()?.StartsWith("interrupted", StringComparison.Ordinal) == true,
            results[0].ToString());
        Assert.InRange(results[0].GetProperty("Seconds").GetDouble(), 0, 50);
        Assert.All(results.Skip(1), r =>
        {
            Assert.True(r.GetProperty("NotRun").GetBoolean());
            Assert.False(r.GetProperty("Partial").GetBoolean());
            Assert.Equal(0, r.GetProperty("Messages").GetInt64());
        });
        var rows = stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.Matches(@"^threading +- +- .* not run: interrupted before its turn$", rows.Single(r => r.StartsWith("threading ", StringComparison.Ordinal)));
        Assert.EndsWith("not run: interrupted before its turn", rows.Single(r => r.StartsWith("poll ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_against_a_server_that_paces_talk_says_so_and_exits_3()
    {
        // The chat app's default --rate (5 lines/s per connection) against senders talking 100 lines/s.
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--history", "0", "--connect-rate", "0", "--max-connections-per-ip", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "chat", "--target", $"127.0.0.1:{endPoint.Port}", "--duration", "2s", "--clients", "4", "--senders", "2", "--out", _out);

        Assert.True(code == 3, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        string warning = stderr.ReplaceLineEndings("\n").Split('\n').Single(l => l.StartsWith("switchboard-bench: chat on target: ", StringComparison.Ordinal));
        Assert.Contains("the server throttled or refused the talk", warning, StringComparison.Ordinal);
        Assert.EndsWith("the server paces talk (serve chat --rate, 5 lines/s by default): start it with --rate 100000 for a benchmark", warning, StringComparison.Ordinal);
        Assert.Contains("the server throttled or refused the talk", stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "chat.json")));
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.True(result.GetProperty("Throttled").GetBoolean());
        var chat = result.GetProperty("Chat");
        Assert.True(chat.GetProperty("Delivered").GetInt64() < 0.9 * chat.GetProperty("Expected").GetInt64()
                    || chat.GetProperty("RefusalLines").GetInt32() > 0, chat.ToString());
    }

    [Fact]
    public async Task Chat_against_a_server_that_keeps_up_is_not_called_throttled()
    {
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--rate", "100000", "--history", "0", "--connect-rate", "0", "--max-connections-per-ip", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "chat", "--target", $"127.0.0.1:{endPoint.Port}", "--duration", "1s", "--clients", "4", "--senders", "2", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "chat.json")));
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.False(result.GetProperty("Throttled").GetBoolean());
        var chat = result.GetProperty("Chat");
        Assert.Equal(0, chat.GetProperty("RefusalLines").GetInt32());
        Assert.Equal(chat.GetProperty("LinesSent").GetInt64() * 3, chat.GetProperty("Expected").GetInt64());
        Assert.True(chat.GetProperty("DeliveredShare").GetDouble() >= 0.9, chat.ToString());
    }

    [Fact]
    public async Task Repeat_runs_each_engine_and_gives_medians_with_their_spread()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "latency", "--engines", "epoll,threading", "--repeat", "3", "--duration", "300ms", "--clients", "2", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "latency.json")));
        Assert.Equal(3, json.RootElement.GetProperty("Settings").GetProperty("Repeat").GetInt32());
        var results = json.RootElement.GetProperty("Results").EnumerateArray().ToList();
        Assert.All(results, r =>
        {
            Assert.Equal(3, r.GetProperty("Runs").GetInt32());
            var spread = r.GetProperty("Spread").GetProperty("LatencyP99Micros");
            double p99 = r.GetProperty("LatencyP99Micros").GetDouble();
            Assert.InRange(p99, spread.GetProperty("Min").GetDouble(), spread.GetProperty("Max").GetDouble());
            var rate = r.GetProperty("Spread").GetProperty("MessagesPerSecond");
            Assert.True(rate.GetProperty("Min").GetDouble() > 0);
        });
        Assert.Equal(6, stderr.ReplaceLineEndings("\n").TrimEnd().Split('\n').Count(l => l.Contains(": measuring for", StringComparison.Ordinal)));
        Assert.Contains("latency on epoll, run 3 of 3: measuring", stderr, StringComparison.Ordinal);
        var rows = stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.StartsWith("latency: 2 clients, 0.3 s, median of 3 runs each", rows[0], StringComparison.Ordinal);
        Assert.Matches(@"^epoll +[\d,]+ \([\d,]+–[\d,]+\) .* median of 3 runs$", rows.Single(r => r.StartsWith("epoll ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Metrics_on_starts_each_server_with_its_endpoint_scraped_during_the_load_and_says_so()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "latency", "--engines", "epoll,forking", "--metrics", "--duration", "2500ms", "--clients", "2", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.StartsWith("latency: 2 clients, 2.5 s, metrics on (scraped every 1 s)\n", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "latency.json")));
        Assert.True(json.RootElement.GetProperty("Settings").GetProperty("Metrics").GetBoolean());
        Assert.All(json.RootElement.GetProperty("Results").EnumerateArray(), r =>
        {
            Assert.Equal(JsonValueKind.Null, r.GetProperty("Failure").ValueKind);
            // One scrape as the load starts, then one a second: at 0 s, 1 s and 2 s within 2.5 s.
            Assert.InRange(r.GetProperty("MetricsScrapes").GetInt32(), 3, 4);
            Assert.True(r.GetProperty("Messages").GetInt64() > 0);
        });
    }

    [Theory]
    [InlineData("--target", "127.0.0.1:9", "switchboard-bench: --metrics starts our servers with metrics on: a --target server is not ours (scrape it yourself)")]
    [InlineData("--engines", "epoll,kestrel", "switchboard-bench: the Kestrel peer has no metrics endpoint: leave it out with --metrics")]
    public async Task Metrics_for_a_server_not_ours_is_one_line_and_exit_code_2(string flag, string value, string message)
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync("latency", flag, value, "--metrics");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal(message + "\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task An_engine_that_serves_one_client_at_a_time_is_marked_and_not_ranked()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "latency", "--engines", "iterative,threading,epoll", "--duration", "300ms", "--clients", "3", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        var rows = stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.EndsWith("serves one client at a time: the others wait in the backlog", rows.Single(r => r.StartsWith("iterative ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Matches(@"^summary \(round trip p99, lower is better\): best (threading|epoll), [\d,.]+ µs; the others behind it by: (threading|epoll) \d+\.\d+×; not ranked: iterative \(one client at a time\)$",
            rows.Single(r => r.StartsWith("summary", StringComparison.Ordinal)));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "latency.json")));
        Assert.Equal([true, false, false], json.RootElement.GetProperty("Results").EnumerateArray().Select(r => r.GetProperty("Iterative").GetBoolean()));
    }

    [Fact]
    public async Task Help_lists_repeat_kestrel_metrics_and_every_exit_code()
    {
        var (code, stdout, _) = await CliProcess.RunBenchAsync("--help");

        Assert.Equal(0, code);
        string text = System.Text.RegularExpressions.Regex.Replace(stdout, @"\s+", " "); // undo the help's line wrapping
        Assert.Contains("-r, --repeat <n> Run each engine this many times", text, StringComparison.Ordinal);
        Assert.Contains("--kestrel <path> The built Kestrel reference peer", text, StringComparison.Ordinal);
        Assert.Contains("--metrics Start each server with metrics on (serve --metrics 127.0.0.1:0) and scrape them once a second", text, StringComparison.Ordinal);
        Assert.Contains("3 the server throttled or refused the load", text, StringComparison.Ordinal);
        Assert.Contains("130 interrupted by Ctrl-C or SIGTERM", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kestrel_path_without_the_peer_is_one_line_and_exit_code_2()
    {
        Directory.CreateDirectory(_out);
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync("latency", "--engines", "kestrel", "--kestrel", _out);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"switchboard-bench: --kestrel {_out}: no Switchboard.KestrelEcho.dll there (give the built peer's .dll or its folder; build it with 'dotnet build -c Release bench/Switchboard.KestrelEcho')\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("found above the working directory", null)]
    [InlineData("given as its folder", "folder")]
    [InlineData("given as its dll", "dll")]
    public async Task The_kestrel_peer_is_the_one_found_or_given(string how, string? given)
    {
        // A clone with a "built" peer that is an empty file: the bench must pick it (its run then
        // fails to start, which is quick); the JSON names the peer it ran.
        string clone = Path.Combine(_out, "clone");
        string built = Path.Combine(clone, "bench", "Switchboard.KestrelEcho", "bin", "Release", "net10.0");
        Directory.CreateDirectory(built);
        string peer = Path.Combine(built, "Switchboard.KestrelEcho.dll");
        await File.WriteAllBytesAsync(peer, []);
        string inside = Path.Combine(clone, "src");
        Directory.CreateDirectory(inside);
        string results = Path.Combine(_out, "results");
        string[] kestrel = given switch { "folder" => ["--kestrel", built], "dll" => ["--kestrel", peer], _ => [] };

        using var bench = BenchProcess.StartIn(given is null ? inside : null, ["latency", "--engines", "kestrel", "--duration", "300ms", "--clients", "2", "--out", results, .. kestrel]);
        int code = await bench.WaitForExitAsync();

        Assert.True(code == 1, $"{how}: exit {code}; stdout: {bench.Stdout}; stderr: {bench.Stderr}");
        Assert.StartsWith("switchboard-bench: latency on kestrel: the server did not", bench.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(results, "latency.json")));
        Assert.Equal(peer, json.RootElement.GetProperty("Settings").GetProperty("KestrelPath").GetString());
    }

    [Theory]
    [InlineData("--repeat", "0")]
    [InlineData("-r", "0")]
    [InlineData("-c", "-3")]
    public async Task A_count_below_one_is_one_line_naming_the_flag_as_typed_and_exit_code_2(string flag, string value)
    {
        var (code, _, stderr) = await CliProcess.RunBenchAsync("latency", flag, value);

        Assert.Equal(2, code);
        Assert.Equal($"switchboard-bench: {flag} must be at least 1 (got {value})\n", stderr.ReplaceLineEndings("\n"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }

    /// <summary>The benchmark running as a child process, its stderr lines watched as they come.</summary>
    private sealed class BenchProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        private BenchProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (_stdout)
                        _stdout.AppendLine(e.Data);
                }
            };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                    return;
                lock (_stderr)
                    _stderr.AppendLine(e.Data);
                StderrLines.Add(e.Data);
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public EventLog<string> StderrLines { get; } = new();

        public int Pid => _process.Id;

        public string Stdout
        {
            get
            {
                lock (_stdout)
                    return _stdout.ToString();
            }
        }

        public string Stderr
        {
            get
            {
                lock (_stderr)
                    return _stderr.ToString();
            }
        }

        public static BenchProcess Start(params string[] args) => StartIn(null, args);

        /// <summary>Starts the bench with <paramref name="workingDirectory"/> as its working directory (null: the tests').</summary>
        public static BenchProcess StartIn(string? workingDirectory, params string[] args)
        {
            var start = new ProcessStartInfo(CliProcess.DotnetHost())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory ?? "",
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "switchboard-bench.dll"));
            foreach (string arg in args)
                start.ArgumentList.Add(arg);
            return new BenchProcess(Process.Start(start)!);
        }

        public async Task<int> WaitForExitAsync()
        {
            await _process.WaitForExitAsync().WaitAsync(Timeouts.Patient);
            _process.WaitForExit(); // flushes the redirected output
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(Timeouts.Patient);
            }

            _process.Dispose();
        }
    }

    /// <summary>An echo server on loopback that says when it has echoed <c>enough</c> bytes: proof that a load has measured something.</summary>
    private sealed class CountingEchoServer : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        private readonly TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private readonly long _threshold;
        private long _echoed;

        public CountingEchoServer(long enough)
        {
            _threshold = enough;
            _listener.Start();
            _ = AcceptAsync();
        }

        public System.Net.IPEndPoint EndPoint => (System.Net.IPEndPoint)_listener.LocalEndpoint;

        public Task Enough => _enough.Task;

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = EchoAsync(client);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // stopped
            }
        }

        private async Task EchoAsync(System.Net.Sockets.TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var buffer = new byte[4096];
                    int n;
                    while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                    {
                        await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                        if (Interlocked.Add(ref _echoed, n) >= _threshold)
                            _enough.TrySetResult();
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    // the bench went, or the server is stopping
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
