using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HdrHistogram;
using Switchboard.Bench;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The time load's C client, <c>bench/peers/time-client.c</c>: the bench compiling it and
/// measuring with it by default (its TLS refusal and fallback: BenchCClientsTests); and the
/// client itself, compiled with warnings as errors, against a real time server, against a
/// listener that never ticks and drops its connections, and against one that ticks on a schedule
/// the test knows (one tick late, lines split and joined), so that the lateness it reports is
/// checked; how the bench reads that report; and the .NET clients counting dropped connections
/// as the C client does. The compiler is <c>cc</c> (gcc, which test.sh installs).
/// </summary>
[Collection(NonParallel.Name)]
[SupportedOSPlatform("linux")] // the benchmark is Linux only
public sealed class BenchTimeClientTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    [Fact]
    public async Task The_bench_measures_the_time_load_with_the_c_client_by_default()
    {
        string built = Path.Combine(AppContext.BaseDirectory, "time-client");
        var before = DateTime.UtcNow.AddSeconds(-1); // file times are coarser than the clock

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "time", "--engines", "epoll", "--clients", "3", "--interval", "200ms", "--duration", "2s", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.True(File.GetLastWriteTimeUtc(built) >= before, "the bench did not compile the C time client"); // compiled on each run
        Assert.Equal("time: 3 clients, a tick every 0.2 s, 2 s, C client", stdout.ReplaceLineEndings("\n").Split('\n')[0]);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "time.json")));
        var settings = json.RootElement.GetProperty("Settings");
        Assert.Equal("c", settings.GetProperty("TimeClient").GetString());
        Assert.Equal(built, settings.GetProperty("TimeClientPath").GetString());
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("Failure").ValueKind);
        Assert.Equal(0, result.GetProperty("Errors").GetInt64());
        // 3 clients × 5 ticks a second over the 1.8 s after the warm-up interval, less each one's
        // first line (it has no gap before it): about 24, never more than 30.
        Assert.InRange(result.GetProperty("Messages").GetInt64(), 12, 30);
        Assert.True(result.GetProperty("LatencyP99Micros").GetDouble() >= result.GetProperty("LatencyP50Micros").GetDouble());
        Assert.True(result.GetProperty("LoadGeneratorCpuCores").GetDouble() > 0);
    }

    [Fact]
    public async Task Help_describes_the_time_client_option_and_its_default()
    {
        var (code, stdout, _) = await CliProcess.RunBenchAsync("--help");

        Assert.Equal(0, code);
        string text = Regex.Replace(stdout, @"\s+", " "); // undo the help's line wrapping
        Assert.Contains("--time-client <c|dotnet> time: what reads the ticks. 'c' (the default): bench/peers/time-client.c, one C process reading every connection on one epoll loop", text, StringComparison.Ordinal);
        Assert.Contains("'dotnet': the bench's own clients, one .NET task each", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c", false, "time: 1 client, a tick every 0.1 s, 2 s, C client")]
    [InlineData("dotnet", false, "time: 1 client, a tick every 0.1 s, 2 s, .NET client")]
    [InlineData("dotnet", true, "time: 1 client, a tick every 0.1 s, 2 s, .NET client (the C one has no TLS), tls: true")]
    public void The_load_names_the_client_that_measured(string client, bool tls, string expected)
    {
        var settings = new BenchSettings { Scenario = "time", Clients = 1, Duration = TimeSpan.FromSeconds(2), TimeClient = client, Tls = tls };

        Assert.Equal(expected, LoadDescription.Of(settings));
    }

    [Fact]
    public async Task The_client_compiles_without_warnings_and_measures_a_time_server_in_its_result_format()
    {
        string program = await CLoadClient.CompileAsync("time-client", _out);
        using var server = CliProcess.Start("serve", "time", "--port", "0", "--interval", "0.1");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        using var client = CliProcess.StartTool(program, "127.0.0.1", endPoint.Port.ToString(CultureInfo.InvariantCulture), "4", "0.1", "1");
        string stdout = await client.ReadToEndAsync();

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal("time-client: 4 connections open, measuring for 1 s\n", client.Stderr.ReplaceLineEndings("\n"));
        // Every line is one the bench reads (it throws on any other), the histogram adding up to the lines.
        var (stats, lateness, cpu) = CTimeLoad.Parse(stdout);
        Assert.InRange(stats.Messages, 4 * 4, 4 * 10); // 10 ticks a second over the 0.9 s after the warm-up, less the first
        Assert.Equal(stats.Messages, lateness.TotalCount);
        Assert.InRange(stats.Seconds, 1.0, 1.0 + Timeouts.Quick.TotalSeconds);
        Assert.Equal(0, stats.Errors);
        Assert.True(cpu >= 0);
        Assert.Matches(@"^lines \d+\nseconds \d+\.\d{6}\nlost 0\ncpu_seconds \d+\.\d{6}\n(lateness \d+ \d+\n)+$", stdout);
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_client_stops_at_its_duration_with_no_tick_and_counts_connections_closed_or_reset()
    {
        string program = await CLoadClient.CompileAsync("time-client", _out);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var clock = Stopwatch.StartNew();
        using var client = CliProcess.StartTool(program, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), "3", "0.1", "1.5");
        using var reset = await listener.AcceptAsync().WaitAsync(Timeouts.Quick);
        using var closed = await listener.AcceptAsync().WaitAsync(Timeouts.Quick);
        using var silent = await listener.AcceptAsync().WaitAsync(Timeouts.Quick);
        reset.LingerState = new LingerOption(true, 0);
        reset.Close(); // RST
        closed.Shutdown(SocketShutdown.Both);
        closed.Close(); // FIN

        string stdout = await client.ReadToEndAsync();
        Assert.Equal(0, await client.WaitForExitAsync());
        var (stats, lateness, _) = CTimeLoad.Parse(stdout);
        Assert.Equal(0, stats.Messages);
        Assert.Equal(0, lateness.TotalCount);
        Assert.Equal(2, stats.Errors); // the reset one and the closed one; the silent one is still open
        Assert.InRange(stats.Seconds, 1.5, 1.5 + Timeouts.Quick.TotalSeconds);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5), $"exited after {clock.Elapsed}");
    }

    [Fact]
    public async Task The_client_counts_each_line_once_and_measures_a_tick_300_ms_late_as_300_ms()
    {
        string program = await CLoadClient.CompileAsync("time-client", _out);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        using var client = CliProcess.StartTool(program, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), "1", "0.1", "3");
        using var server = await listener.AcceptAsync().WaitAsync(Timeouts.Quick);
        server.NoDelay = true;
        // The client measures from just before it says its connections are open, and not for one
        // interval: every line written from an interval after that line is measured.
        await client.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains(" connections open", StringComparison.Ordinal)), what: "the client's open line");
        (int AtMs, string Text)[] schedule =
        [
            (100, "tick 1\n"), // the first measured line: no gap before it, no value
            (200, "tick 2\n"),
            (300, "tick 3\n"),
            (400, "tick 4, split: the first part"), (430, ", then the rest\n"), // one line, two writes, 30 ms apart
            (500, "tick 5\n"),
            (600, "tick 6\ntick 7\n"), // two lines, one write
            (700, "tick 8\n"),
            (1100, "tick 9, 300 ms late\n"), // a gap of 400 ms
            (1200, "tick 10\n"),
            (1300, "tick 11\n"),
        ];
        await WriteOnScheduleAsync(server, schedule).WaitAsync(Timeouts.Quick);

        string stdout = await client.ReadToEndAsync(); // at its duration, 3 s from its open line
        Assert.Equal(0, await client.WaitForExitAsync());
        var values = Regex.Matches(stdout, @"^lateness (\d+) (\d+)$", RegexOptions.Multiline)
            .SelectMany(m => Enumerable.Repeat(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 1e6, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList(); // milliseconds, one per measured line
        Assert.Contains("lines 10\n", stdout, StringComparison.Ordinal); // 11 lines, each once, less the first
        Assert.Contains("lost 0\n", stdout, StringComparison.Ordinal);
        Assert.Equal(10, values.Count);
        Assert.True(values.Max() is >= 250 and <= 450, $"lateness (ms): {string.Join(", ", values)}"); // the late tick
        Assert.True(values.Count(ms => ms < 100) >= 8, $"lateness (ms): {string.Join(", ", values)}"); // the rest on time, but for the split line's 30 ms and a timer's slip
        var (stats, lateness, _) = CTimeLoad.Parse(stdout);
        Assert.Equal(10, stats.Messages);
        Assert.InRange(lateness.GetMaxValue() * 1000.0 / Stopwatch.Frequency, 250, 450);
    }

    [Fact]
    public void The_bench_reads_the_clients_nanoseconds_as_the_histograms_stopwatch_ticks()
    {
        var (stats, lateness, cpu) = CTimeLoad.Parse("lines 1\nseconds 1.000000\nlost 0\ncpu_seconds 0.250000\nlateness 1000000 1\n");

        Assert.Equal(new LoadStats(1, 0, 0, 1.0), stats);
        Assert.Equal(0.25, cpu);
        Assert.Equal(1, lateness.TotalCount);
        double p50Micros = lateness.GetValueAtPercentile(50) * 1e6 / Stopwatch.Frequency; // as the bench reports it
        Assert.InRange(p50Micros, 999, 1002); // 1 ms, within the histogram's 3 significant digits
    }

    [Fact]
    public async Task The_dotnet_clients_count_connections_closed_or_reset_as_errors_as_the_c_client_does()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        var target = (IPEndPoint)listener.LocalEndPoint!;

        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var load = TimeLoad.RunAsync(target, 3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), tls: null, started: open.SetResult, CancellationToken.None);
        using var reset = await listener.AcceptAsync().WaitAsync(Timeouts.Quick);
        using var closed = await listener.AcceptAsync().WaitAsync(Timeouts.Quick);
        using var silent = await listener.AcceptAsync().WaitAsync(Timeouts.Quick);
        await open.Task.WaitAsync(Timeouts.Quick); // every connect has completed on the client's side: a reset now ends a connection, not a connect
        reset.LingerState = new LingerOption(true, 0);
        reset.Close(); // RST
        closed.Shutdown(SocketShutdown.Both);
        closed.Close(); // FIN

        var (stats, lateness) = await load.WaitAsync(Timeouts.Quick);
        Assert.Equal(0, stats.Messages);
        Assert.Equal(0, lateness.TotalCount);
        Assert.Equal(2, stats.Errors); // the reset one and the closed one; the silent one was open at the end
        Assert.InRange(stats.Seconds, 0.9, 1.0 + Timeouts.Quick.TotalSeconds); // to the stop, from a clock started just after it was set
    }

    [Fact]
    public async Task A_refused_connect_is_one_line_naming_the_address_and_exit_code_1()
    {
        string program = await CLoadClient.CompileAsync("time-client", _out);
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: a connect to it is refused
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            using var client = CliProcess.StartTool(program, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), "2", "0.1", "1");

            Assert.Equal("", await client.ReadToEndAsync());
            Assert.Equal(1, await client.WaitForExitAsync());
            Assert.Equal($"time-client: cannot connect to 127.0.0.1:{port}: Connection refused\n", client.Stderr.ReplaceLineEndings("\n"));
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }

    /// <summary>
    /// Writes each text at its time, in milliseconds from now: a writer paced by the clock the
    /// test measures against. Each wait is on the test's bound (<see cref="Timeouts.Quick"/>),
    /// with the schedule's next time as its timeout: past the bound the writer gives up. It runs
    /// on a thread of its own: the test process's thread pool was seen held for most of a second
    /// at its start, which delayed a pooled writer's ticks by more than the lateness measured.
    /// </summary>
    private static Task WriteOnScheduleAsync(Socket socket, IReadOnlyList<(int AtMs, string Text)> schedule)
    {
        socket.SendTimeout = (int)Timeouts.Quick.TotalMilliseconds; // a few bytes to a reading client: never near it
        return Task.Factory.StartNew(
            () =>
            {
                using var bound = new CancellationTokenSource(Timeouts.Quick);
                var clock = Stopwatch.StartNew();
                foreach (var (atMs, text) in schedule)
                {
                    var until = TimeSpan.FromMilliseconds(atMs) - clock.Elapsed;
                    if (until > TimeSpan.Zero && bound.Token.WaitHandle.WaitOne(until))
                        throw new TimeoutException("the schedule outlasted the test's bound");
                    byte[] bytes = Encoding.ASCII.GetBytes(text);
                    Assert.Equal(bytes.Length, socket.Send(bytes));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }
}
