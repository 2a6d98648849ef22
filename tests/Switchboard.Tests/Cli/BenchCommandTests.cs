using System.Text.Json;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

[Collection(NonParallel.Name)]
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("echo", "messagesPerSecond", "rate,cpu")]
    [InlineData("latency", "latencyP99Micros", "p99,rate,cpu")]
    [InlineData("connections", "acceptsPerSecond", "accepts,rss")]
    [InlineData("churn", "messagesPerSecond", "rate,cpu")]
    [InlineData("chat", "latencyP99Micros", "rate,p99,cpu")]
    [InlineData("time", "messagesPerSecond", "lateness")]
    public async Task Runs_a_scenario_on_each_engine_and_writes_json(string scenario, string figure, string charts)
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            scenario, "--engines", "threading,epoll", "--duration", "300ms", "--clients", "4", "--in-flight", "10",
            "--connections", "200", "--interval", "50ms", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, $"{scenario}.json")));
        Assert.True(json.RootElement.GetProperty("Machine").GetProperty("Cores").GetInt32() >= 1);
        Assert.Equal(scenario, json.RootElement.GetProperty("Settings").GetProperty("Scenario").GetString());
        var results = json.RootElement.GetProperty("Results").EnumerateArray().ToList();
        Assert.Equal(["threading", "epoll"], results.Select(r => r.GetProperty("Engine").GetString()));
        Assert.All(results, r =>
        {
            Assert.Equal(0, r.GetProperty("Errors").GetInt64());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("Failure").ValueKind);
            Assert.True(r.GetProperty(char.ToUpperInvariant(figure[0]) + figure[1..]).GetDouble() > 0);
            Assert.True(r.GetProperty("ServerPeakRssBytes").GetInt64() > 0 || scenario == "connections");
            Assert.True(r.GetProperty("LoadAverage").GetDouble() >= 0); // read from /proc/loadavg: a number, not null
        });
        Assert.All(results, r =>
        {
            Assert.False(r.GetProperty("Partial").GetBoolean());
            Assert.False(r.GetProperty("NotRun").GetBoolean());
            Assert.Equal(1, r.GetProperty("Runs").GetInt32());
        });
        Assert.Equal(1, json.RootElement.GetProperty("Settings").GetProperty("Repeat").GetInt32());

        // stdout (a pipe here) has the table and the summary, nothing of the progress; stderr one line per engine.
        var lines = stdout.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.StartsWith($"{scenario}: ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("engine ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("threading ", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("epoll ", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("summary (", lines[4], StringComparison.Ordinal); // a ranking, or why there is none (a figure too small to measure in 300 ms)
        Assert.Equal(5, lines.Length);

        Assert.DoesNotContain("measuring", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("%", stdout, StringComparison.Ordinal);
        Assert.Equal([$"{scenario} on threading: measuring", $"{scenario} on epoll: measuring"],
            stderr.ReplaceLineEndings("\n").TrimEnd().Split('\n').Select(l => l.Split(" for ")[0]));

        // one chart per figure, as PNG and SVG, and nothing else
        string[] expected = [.. charts.Split(',').SelectMany(c => new[] { $"{scenario}-{c}.png", $"{scenario}-{c}.svg" }).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, Directory.GetFiles(_out, $"{scenario}-*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(expected.Where(f => f.EndsWith(".png", StringComparison.Ordinal)), f => Assert.True(IsPng(Path.Combine(_out, f)), $"{f} is not a PNG"));
    }

    private static bool IsPng(string path)
    {
        byte[] head = new byte[8];
        using var file = File.OpenRead(path);
        return file.Read(head) == 8 && head.AsSpan().SequenceEqual((byte[])[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    }

    [Fact]
    public async Task Each_chart_labels_its_bars_and_says_the_load_the_machine_which_way_is_better_and_who_served_one_client_at_a_time()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "latency", "--engines", "iterative,epoll", "--duration", "300ms", "--clients", "1", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Equal("latency: 1 client, 0.3 s", stdout.ReplaceLineEndings("\n").Split('\n')[0]);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "latency.json")));
        var machine = json.RootElement.GetProperty("Machine");
        string machineLine = $"{machine.GetProperty("Cores").GetInt32()} cores, {machine.GetProperty("Cpu").GetString()}, "
            + $"Linux {machine.GetProperty("Kernel").GetString()}, {machine.GetProperty("Runtime").GetString()}, "
            + $"{machine.GetProperty("When").GetDateTimeOffset():yyyy-MM-dd}";
        var results = json.RootElement.GetProperty("Results").EnumerateArray().ToList();
        Assert.Equal(["iterative", "epoll"], results.Select(r => r.GetProperty("Engine").GetString()));

        foreach (var (chart, figure, title, better) in new[]
        {
            ("p99", "LatencyP99Micros", "round trip p99 (µs)", "lower is better"),
            ("rate", "MessagesPerSecond", "messages per second (msg/s)", "higher is better"),
            ("cpu", "ServerCpuNanosPerMessage", "server CPU per message (ns)", "lower is better"),
        })
        {
            var texts = SvgTexts.Read(Path.Combine(_out, $"latency-{chart}.svg"));
            double[] values = [.. results.Select(r => r.GetProperty(figure).GetDouble())];
            Assert.All(values, v => Assert.True(v > 0, $"{chart}: {v}"));

            // each bar's value, in the engines' order, before anything else
            Assert.Equal(values.Select(SvgTexts.BarLabel), texts.Take(2));
            // the caption: the load, then the machine
            Assert.Equal(["latency: 1 client, 0.3 s", machineLine], texts.Skip(2).Take(2));
            // under each slot its engine; iterative says it served one client at a time
            Assert.Equal(["iterative", "(one client at a time)", "epoll"], texts.Skip(4).Take(3));
            Assert.Single(texts, t => t.Contains("one client at a time", StringComparison.Ordinal));
            // which way is better, and a log scale exactly when one value is more than ten times another
            bool wide = values.Max() / values.Min() > 10;
            Assert.Equal($"{title}, {better}{(wide ? ", log scale" : "")}", texts[7]);
            Assert.Equal($"latency: {title[..title.LastIndexOf(" (", StringComparison.Ordinal)]}", texts[^1]);
        }
    }

    [Fact]
    public async Task An_unknown_scenario_is_one_line_and_exit_code_2()
    {
        var (code, _, stderr) = await CliProcess.RunBenchAsync("juggling");

        Assert.Equal(2, code);
        Assert.Equal("switchboard-bench: unknown scenario 'juggling' (choose from: echo, latency, connections, churn, chat, time)\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_bad_option_is_one_line_naming_the_bench_and_exit_code_2()
    {
        var (code, _, stderr) = await CliProcess.RunBenchAsync("echo", "--clients", "many");

        Assert.Equal(2, code);
        Assert.Equal("switchboard-bench: cannot parse argument 'many' for option '--clients' (see 'switchboard-bench --help')\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("--duration", "5x")]
    [InlineData("--interval", "1 s")]
    [InlineData("-d", "0")]
    [InlineData("-d", "2000000s")]
    public async Task A_bad_duration_is_one_line_naming_the_flag_and_the_forms_and_exit_code_2(string flag, string value)
    {
        var (code, _, stderr) = await CliProcess.RunBenchAsync("time", flag, value);

        Assert.Equal(2, code);
        Assert.Equal($"switchboard-bench: {flag}: bad duration '{value}': write e.g. 10s, 500ms, 5m or 2.5 (seconds); more than 0 and at most 1000000s\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_missing_switchboard_program_is_one_line_and_exit_code_1()
    {
        var (code, _, stderr) = await CliProcess.RunBenchAsync("echo", "--engines", "epoll", "--switchboard", "/nonexistent/switchboard.dll");

        Assert.Equal(1, code);
        Assert.Equal("switchboard-bench: no switchboard program at /nonexistent/switchboard.dll: build it (building bench/Switchboard.Bench builds it too) or give --switchboard\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("latency --engines epoll --duration 1s")]
    [InlineData("--help")]
    public async Task Switchboard_bench_says_in_one_line_where_the_benchmark_is_and_exit_code_2(string arguments)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(["bench", .. arguments.Split(' ')]);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal("switchboard: the benchmark is its own program now, in the source tree: dotnet run -c Release --project bench/Switchboard.Bench -- SCENARIO [options]\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Switchboard_help_lists_no_bench_command_and_says_where_the_benchmark_is()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("--help");

        Assert.Equal(0, code);
        Assert.DoesNotContain("\n  bench", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        string text = System.Text.RegularExpressions.Regex.Replace(stdout, @"\s+", " "); // undo the help's line wrapping
        Assert.Contains("dotnet run -c Release --project bench/Switchboard.Bench", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_refuses_is_a_failed_row_kept_in_the_results_and_exit_code_1()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        } // closed: nothing listens there now

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "latency", "--target", $"127.0.0.1:{port}", "--duration", "0.005m", "--clients", "2", "--out", _out); // 300 ms, in minutes as serve takes them too

        Assert.True(code == 1, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Equal($"switchboard-bench: latency on target: cannot connect to 127.0.0.1:{port}: Connection refused\n", stderr.ReplaceLineEndings("\n"));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "latency.json")));
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Contains("Connection refused", result.GetProperty("Failure").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    // The cancelled siblings of the first connect to time out must not replace its message, nor
    // keep the window opening the other 200.
    [InlineData("latency", "--duration", "300ms", "--clients", "300")]
    // One after another: blocking connects, which the kernel would otherwise retry for two minutes.
    [InlineData("connections", "--connect-window", "1", "--connections", "50")]
    public async Task A_target_whose_backlog_is_full_fails_in_one_line_at_the_connect_timeout(string scenario, params string[] arguments)
    {
        // Backlog 0 with one connection already waiting: the kernel drops further SYNs, so every
        // connect hangs until the bench's 10 s timeout.
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(0);
        var endPoint = (System.Net.IPEndPoint)listener.LocalEndPoint!;
        using var waiting = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await waiting.ConnectAsync(endPoint);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync([scenario, "--target", endPoint.ToString(), .. arguments]);

        Assert.True(code == 1, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        // connections says it is measuring before it opens; then the failure, in one line.
        var lines = stderr.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.Equal($"switchboard-bench: {scenario} on target: cannot connect to {endPoint}: no answer within 10 s", lines[^1]);
        Assert.All(lines[..^1], line => Assert.Equal($"{scenario} on target: measuring", line));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Connecting_one_after_another_counts_the_listen_queue_overflows()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "connections", "--engines", "epoll", "--connect-window", "1", "--connections", "300", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "connections.json")));
        Assert.Equal(1, json.RootElement.GetProperty("Settings").GetProperty("ConnectWindow").GetInt32());
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Equal(300, result.GetProperty("Messages").GetInt64());
        Assert.Equal(300, result.GetProperty("Answered").GetInt32());
        Assert.True(result.GetProperty("ListenOverflows").GetInt64() >= 0); // read from /proc/net/netstat before and after: a number, not null
        Assert.Contains("overflows", stdout.ReplaceLineEndings("\n").Split('\n')[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_connections_than_the_descriptor_limit_allows_is_refused_up_front()
    {
        var (code, _, stderr) = await CliProcess.RunBenchAsync("connections", "--engines", "epoll", "--connections", "10000000");

        Assert.Equal(2, code);
        Assert.StartsWith("switchboard-bench: connections with 10,000,000 connections needs about", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("echo")]
    [InlineData("latency")]
    [InlineData("time")]
    public async Task Several_targets_for_a_scenario_other_than_chat_is_one_line_and_exit_code_2(string scenario)
    {
        var (code, _, stderr) = await CliProcess.RunBenchAsync(scenario, "--target", "127.0.0.1:4001,127.0.0.1:4002");

        Assert.Equal(2, code);
        Assert.Equal($"switchboard-bench: --target takes several servers (comma-separated) for chat only: {scenario} loads one, give one HOST:PORT\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Chat_over_two_targets_spreads_the_clients_and_reports_cross_node_latency()
    {
        // Both "nodes" are one chat server: still, half the members join through each target, and
        // a line from a sender on the other target counts as cross-node.
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--rate", "100000", "--history", "0", "--connect-rate", "0", "--max-connections-per-ip", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        string node = $"127.0.0.1:{endPoint.Port}";

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "chat", "--target", $"{node},{node}", "--duration", "500ms", "--clients", "6", "--senders", "2", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "chat.json")));
        var settings = json.RootElement.GetProperty("Settings");
        Assert.Equal([node, node], settings.GetProperty("TargetAddresses").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal($"{node},{node}", settings.GetProperty("TargetAddress").GetString());
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("Failure").ValueKind);
        long all = result.GetProperty("Messages").GetInt64();
        long crossNode = result.GetProperty("CrossNodeDeliveries").GetInt64();
        // Senders c0 (node 0) and c1 (node 1) each reach 5 others: 3 of them on the other node.
        Assert.InRange(crossNode, 1, all - 1);
        Assert.InRange((double)crossNode / all, 0.4, 0.8);
        Assert.True(result.GetProperty("CrossNodeLatencyP50Micros").GetDouble() > 0);
        Assert.True(result.GetProperty("CrossNodeLatencyP99Micros").GetDouble() > 0);
        Assert.Contains("cross-node p99", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_over_one_target_reports_no_cross_node_figures()
    {
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--rate", "100000", "--history", "0", "--connect-rate", "0", "--max-connections-per-ip", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "chat", "--target", $"127.0.0.1:{endPoint.Port}", "--duration", "300ms", "--clients", "4", "--senders", "2", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "chat.json")));
        Assert.False(json.RootElement.GetProperty("Settings").TryGetProperty("TargetAddresses", out _));
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.True(result.GetProperty("Messages").GetInt64() > 0);
        Assert.False(result.TryGetProperty("CrossNodeDeliveries", out _));
        Assert.DoesNotContain("cross-node", stdout, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }
}
