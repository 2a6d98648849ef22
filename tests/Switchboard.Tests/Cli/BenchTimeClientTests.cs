using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Bench;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The time load's C client, <c>bench/peers/time-client.c</c>: the bench compiling it and
/// measuring with it by default, the .NET clients under --tls, the refusal of c with --tls; and
/// the client itself, compiled with warnings as errors, against a real time server and against a
/// listener that never ticks and drops its connections. The compiler is <c>cc</c> (gcc, which
/// test.sh installs).
/// </summary>
[Collection(NonParallel.Name)]
[SupportedOSPlatform("linux")] // the benchmark is Linux only
public sealed class BenchTimeClientTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    private static string Source => Path.Combine(Repository.Root, "bench", "peers", "time-client.c");

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
    public async Task The_c_client_with_tls_is_one_line_and_exit_code_2()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync("time", "--engines", "epoll", "--tls", "--time-client", "c");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal("switchboard-bench: --time-client c has no TLS: leave out --tls, or pass --time-client dotnet\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task With_tls_and_no_choice_the_dotnet_clients_measure_and_the_load_says_so()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "time", "--engines", "epoll", "--tls", "--clients", "2", "--interval", "200ms", "--duration", "1s", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Equal("time: 2 clients, a tick every 0.2 s, 1 s, .NET client (the C one has no TLS), tls: true", stdout.ReplaceLineEndings("\n").Split('\n')[0]);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "time.json")));
        var settings = json.RootElement.GetProperty("Settings");
        Assert.Equal("dotnet", settings.GetProperty("TimeClient").GetString());
        Assert.False(settings.TryGetProperty("TimeClientPath", out _));
        Assert.True(Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray()).GetProperty("Messages").GetInt64() > 0);
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
        string program = await CompileAsync();
        using var server = CliProcess.Start("serve", "time", "--port", "0", "--interval", "0.1");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        using var client = CliProcess.StartTool(program, "127.0.0.1", endPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "4", "0.1", "1");
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
        string program = await CompileAsync();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var clock = Stopwatch.StartNew();
        using var client = CliProcess.StartTool(program, "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "3", "0.1", "1.5");
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
    public async Task A_refused_connect_is_one_line_naming_the_address_and_exit_code_1()
    {
        string program = await CompileAsync();
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: a connect to it is refused
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            using var client = CliProcess.StartTool(program, "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "2", "0.1", "1");

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

    /// <summary>The client compiled with <c>-Wall -Wextra</c>, any warning an error.</summary>
    private async Task<string> CompileAsync()
    {
        Directory.CreateDirectory(_out);
        string program = Path.Combine(_out, "time-client");
        using var cc = CliProcess.StartTool("cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", program, Source);
        Assert.Equal("", await cc.ReadToEndAsync());
        int exit = await cc.WaitForExitAsync();
        Assert.True(exit == 0 && cc.Stderr.Length == 0, $"cc exited {exit}: {cc.Stderr}");
        return program;
    }
}
