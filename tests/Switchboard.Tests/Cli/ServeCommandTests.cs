using System.Net.Sockets;
using System.Text.RegularExpressions;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

public sealed partial class ServeCommandTests
{
    [Theory]
    [InlineData("iterative")]
    [InlineData("threading")]
    [InlineData("async")]
    public async Task Serve_time_prints_the_listening_line_then_sends_asctime_lines_and_stops_on_sigterm(string engine)
    {
        using var cli = CliProcess.Start("serve", "time", "--port", "0", "--interval", "0.2", "--utc", "--engine", engine);
        var (endPoint, line) = await cli.ReadListeningLineAsync();
        Assert.Equal($"listening on {endPoint} (time, {engine})", line);
        Assert.Equal("127.0.0.1", endPoint.Address.ToString());

        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            Assert.Matches(AsctimeLine(), await client.ReadLineAsync());
            Assert.Matches(AsctimeLine(), await client.ReadLineAsync());
        }

        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("disconnected (remote closed)", StringComparison.Ordinal)));
        cli.Terminate();
        Assert.Equal(0, await cli.WaitForExitAsync());
        Assert.Contains("Got connection from 127.0.0.1:", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Where_io_uring_is_refused_the_default_is_epoll_and_serve_says_why()
    {
        // As under Docker's default seccomp profile: the server, started from a thread whose
        // filter refuses io_uring_setup with EPERM, inherits the filter.
        using var cli = SeccompThread.Run(Interop.Interop.Uring.SYS_io_uring_setup, Interop.Interop.Uring.EPERM, () => CliProcess.Start("serve", "echo", "--port", "0"));
        var (endPoint, line) = await cli.ReadListeningLineAsync();

        Assert.EndsWith("(echo, epoll)", line, StringComparison.Ordinal);
        await cli.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains(
            "Serving on epoll, the default here: uring cannot run (io_uring_setup is not permitted here (EPERM: a seccomp filter", StringComparison.Ordinal)));
        using var client = await TestClient.ConnectAsync(endPoint);
        await client.AssertEchoesAsync("still served");
        cli.Terminate();
        Assert.Equal(0, await cli.WaitForExitAsync());
    }

    [Fact]
    public async Task Where_io_uring_runs_the_default_says_nothing_of_the_others()
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0");
        var (endPoint, line) = await cli.ReadListeningLineAsync();
        using (var client = await TestClient.ConnectAsync(endPoint))
            await client.AssertEchoesAsync("served");
        cli.Terminate();
        Assert.Equal(0, await cli.WaitForExitAsync());

        Assert.EndsWith("(echo, uring)", line, StringComparison.Ordinal);
        Assert.DoesNotContain("the default here", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_echo_echoes_and_shuts_down_gracefully_with_clients_connected()
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0");
        var (endPoint, line) = await cli.ReadListeningLineAsync();
        Assert.EndsWith("(echo, uring)", line, StringComparison.Ordinal); // the default engine where io_uring runs, as here
        using var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync("ping\n");
        Assert.Equal("ping", await client.ReadLineAsync());

        cli.Terminate();

        Assert.Null(await client.ReadLineAsync());
        Assert.Equal(0, await cli.WaitForExitAsync());
        Assert.Contains("disconnected (server shutdown)", cli.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, "saying goodbye to 1 connection")]
    [InlineData(2, "saying goodbye to 2 connections")]
    public async Task Shutdown_counts_the_connections_it_says_goodbye_to_in_words(int count, string expected)
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        var clients = new List<TestClient>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                clients.Add(await TestClient.ConnectAsync(endPoint));
                await clients[^1].SendAsync("ping\n");
                Assert.Equal("ping", await clients[^1].ReadLineAsync());
            }

            await cli.StopGracefullyAsync();
            string line = Assert.Single(cli.Stderr.Split('\n'), l => l.Contains("Shutting down", StringComparison.Ordinal));
            Assert.EndsWith("Shutting down: " + expected, line.TrimEnd('\r'), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [Theory]
    [InlineData("async")]
    [InlineData("threading")]
    public async Task Print_logs_that_a_client_was_disconnected_for_a_line_too_long(string engine)
    {
        using var cli = CliProcess.Start("serve", "print", "--port", "0", "--engine", engine, "--max-line", "10");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        using var client = await TestClient.ConnectAsync(endPoint);
        string address = client.Socket.LocalEndPoint!.ToString()!;

        await client.SendAsync("this line is far too long\n");

        Assert.Equal("error: line too long (max 10 bytes)", await client.ReadLineAsync());
        Assert.True(await client.WaitForCloseAsync());
        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.EndsWith($"{address} disconnected (line too long)", StringComparison.Ordinal)));
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Serve_print_logs_each_line_with_the_clients_address()
    {
        using var cli = CliProcess.Start("serve", "print", "--port", "0", "--engine", "threading");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            await client.SendAsync("hello there\n");
            string address = client.Socket.LocalEndPoint!.ToString()!;
            await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.EndsWith($"{address}: hello there", StringComparison.Ordinal)));
        }

        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("disconnected", StringComparison.Ordinal)));
        cli.Terminate();
        Assert.Equal(0, await cli.WaitForExitAsync());
    }

    [Fact]
    public async Task A_port_in_use_is_one_clear_line_and_exit_code_1()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((System.Net.IPEndPoint)taken.LocalEndPoint!).Port;

        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"switchboard: cannot listen on 127.0.0.1:{port}: address already in use\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_host_that_cannot_be_bound_is_one_clear_line_and_exit_code_1()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("serve", "echo", "--host", "192.0.2.1", "--port", "0");

        Assert.Equal(1, code);
        Assert.Equal("switchboard: cannot listen on 192.0.2.1:0: address not available on this machine\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("switchboard: --engine: unknown engine 'warp' (choose from: iterative, threading, forking, async, select, poll, epoll, uring)", "serve", "echo", "--engine", "warp")]
    [InlineData("switchboard: unknown app 'chess' (choose from: time, echo, print, chat)", "serve", "chess")]
    [InlineData("switchboard: --port: bad port 70000 (0-65535)", "serve", "echo", "--port", "70000")]
    [InlineData("switchboard: -p: bad port -1 (0-65535)", "serve", "echo", "-p", "-1")]
    [InlineData("switchboard: --host: cannot resolve 'no-such-host.invalid'", "serve", "echo", "--host", "no-such-host.invalid")]
    [InlineData("switchboard: --max-connections must be at least 1 (got 0)", "serve", "echo", "--max-connections", "0")]
    [InlineData("switchboard: --log-level: unknown level 'Bogus' (choose from: trace, debug, information, warning, error, critical, none)", "serve", "echo", "--log-level", "Bogus")]
    [InlineData("switchboard: --loops must be 0 (one per core) to 256 (got 100000)", "serve", "echo", "-e", "epoll", "--loops", "100000")]
    [InlineData("switchboard: --loops must be 0 (one per core) to 256 (got -1)", "serve", "echo", "-e", "epoll", "--loops", "-1")]
    [InlineData("switchboard: --loops: bad value 'many': must be a whole number", "serve", "echo", "-e", "epoll", "--loops", "many")]
    [InlineData("switchboard: --loops: bad value 'many': must be a whole number", "serve", "echo", "--loops", "many")]
    [InlineData("switchboard: --loops must be 0 (one per core) to 256 (got 300)", "serve", "echo", "--loops", "300")]
    [InlineData("switchboard: --workers: bad value '3': write MIN..MAX, e.g. 2..32", "serve", "echo", "-e", "epoll", "--workers", "3")]
    [InlineData("switchboard: --workers: bad value '4': write MIN..MAX, e.g. 2..32", "serve", "echo", "-e", "forking", "--workers", "4")]
    [InlineData("switchboard: --workers: bad value '0..4': spare workers must be at least 1 (got 0)", "serve", "echo", "-e", "forking", "--workers", "0..4")]
    [InlineData("switchboard: --workers: bad value '3..2': the most workers (2) must be at least the spare workers (3)", "serve", "echo", "-e", "forking", "--workers", "3..2")]
    [InlineData("switchboard: --connections-per-worker: bad value '-1': connections per worker must not be negative (got -1)", "serve", "echo", "-e", "forking", "--connections-per-worker", "-1")]
    [InlineData("switchboard: --history must be 0 (none) or more (got -1)", "serve", "chat", "--history", "-1")]
    [InlineData("switchboard: --rate must be more than 0 lines a second (got 0)", "serve", "chat", "--rate", "0")]
    [InlineData("switchboard: --register-timeout must be 0 (no limit) or more (got -1)", "serve", "chat", "--register-timeout", "-1")]
    [InlineData("switchboard: --register-timeout must be at most 1000000s (got 1e20)", "serve", "chat", "--register-timeout", "1e20")]
    [InlineData("switchboard: --interval must be at most 1000000s (got 1e12)", "serve", "time", "--interval", "1e12")]
    [InlineData("switchboard: --interval must be at least 1ms (got 0)", "serve", "time", "--interval", "0")]
    [InlineData("switchboard: --idle-timeout must be at most 1000000s (got 1e20)", "serve", "echo", "--idle-timeout", "1e20")]
    [InlineData("switchboard: --idle-timeout must be 0 (never) or more (got -1)", "serve", "echo", "--idle-timeout", "-1")]
    [InlineData("switchboard: --shutdown-timeout must be at most 1000000s (got 1e20)", "serve", "echo", "--shutdown-timeout", "1e20")]
    [InlineData("switchboard: --shutdown-timeout: bad duration 'NaN': write e.g. 10s, 500ms, 5m or 2.5 (seconds)", "serve", "echo", "--shutdown-timeout", "NaN")]
    [InlineData("switchboard: --max-pending-total must be 0 (no cap) or more (got -1)", "serve", "echo", "--max-pending-total", "-1")]
    [InlineData("switchboard: --max-pending-soft must be 0 (off) or more (got -5)", "serve", "echo", "--max-pending-soft", "-5")]
    [InlineData("switchboard: --max-pending-soft-seconds must be 0 (off) or more (got -1)", "serve", "echo", "--max-pending-soft-seconds", "-1")]
    [InlineData("switchboard: --max-connections-per-ip must be 0 (off) or more (got -1)", "serve", "chat", "--max-connections-per-ip", "-1")]
    [InlineData("switchboard: --connect-rate must be 0 (off) or more (got -5)", "serve", "echo", "--connect-rate", "-5")]
    [InlineData("switchboard: --limit-exempt: bad entry 'localhost': not an address or CIDR network (e.g. 10.0.0.0/8, ::1)", "serve", "echo", "--limit-exempt", "127.0.0.1,localhost")]
    [InlineData("switchboard: --limit-exempt: bad entry '10.0.0.0/33': the prefix length must be 0-32", "serve", "echo", "--limit-exempt", "10.0.0.0/33")]
    [InlineData("switchboard: --limit-exempt: bad entry 'fe80::/200': the prefix length must be 0-128", "serve", "echo", "--limit-exempt", "fe80::/200")]
    [InlineData("switchboard: --max-connections-per-ip and --connect-rate are not available on forking: its workers accept connections apart (set both to 0)", "serve", "chat", "-e", "forking", "--max-connections-per-ip", "4")]
    [InlineData("switchboard: --max-connections-per-ip and --connect-rate are not available on forking: its workers accept connections apart (set both to 0)", "serve", "echo", "-e", "forking", "--connect-rate", "10")]
    public async Task Bad_input_is_one_clear_line_and_exit_code_2(string expected, params string[] args)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(expected + "\n", stderr.ReplaceLineEndings("\n"));
    }

    /// <summary>A bad value for every option of <c>serve</c> that takes one (the test below checks none is missing).</summary>
    private static readonly Dictionary<string, string[]> BadValues = new()
    {
        ["--engine"] = ["warp"],
        ["--host"] = ["no-such-host.invalid"],
        ["--port"] = ["70000"],
        ["--max-connections"] = ["0"],
        ["--max-pending"] = ["0"],
        ["--max-pending-total"] = ["-1"],
        ["--max-pending-soft"] = ["-1"],
        ["--max-pending-soft-seconds"] = ["-1", "5x"],
        ["--max-line"] = ["0"],
        ["--idle-timeout"] = ["-1", "5x"],
        ["--max-connections-per-ip"] = ["-1"],
        ["--connect-rate"] = ["-1"],
        ["--limit-exempt"] = ["localhost"],
        ["--backlog"] = ["0"],
        ["--shutdown-timeout"] = ["-1", "2 minutes"],
        ["--workers"] = ["0..4", "3..2", "x"],
        ["--connections-per-worker"] = ["-1"],
        ["--loops"] = ["-1", "many"],
        ["--interval"] = ["0", "5x", "1e12"],
        ["--history"] = ["-1"],
        ["--rate"] = ["0"],
        ["--register-timeout"] = ["-1", "1 h"],
        ["--hub"] = ["localhost:6379"],
        ["--irc-port"] = ["70000", "-1"],
        ["--metrics"] = ["9464", "no-such-host.invalid:9464"],
        ["--web"] = ["8080", "no-such-host.invalid:8080", "127.0.0.1:70000"],
        ["--web-origins"] = ["chat.example.org", "ftp://chat.example.org", "https://chat.example.org/room"],
        ["--tls-cert"] = ["/no/such/cert.pem", "/dev/null"],
        ["--tls-key"] = ["/no/such/key.pem"],
        ["--config"] = ["/no/such/serve.json"],
        ["--log-level"] = ["verbose"],
        ["--log-format"] = ["xml"],
    };

    [Fact]
    public async Task Every_option_of_serve_that_takes_a_value_has_a_bad_value_in_the_walk_below()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("serve", "--help");

        Assert.Equal(0, code);
        var taking = OptionWithValue().Matches(stdout).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("--interval", taking); // the pattern finds them
        Assert.Equal(taking.Order(), BadValues.Keys.Order());
    }

    public static TheoryData<string, string> EveryBadValue()
    {
        var data = new TheoryData<string, string>();
        foreach (var (flag, values) in BadValues)
        {
            foreach (string value in values)
                data.Add(flag, value);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryBadValue))]
    public async Task A_bad_value_for_any_option_is_one_line_led_by_the_flag_and_exit_code_2(string flag, string value)
    {
        string[] port = flag == "--port" ? [] : ["--port", "0"]; // should the value be taken, the server starts where it can
        var (code, stdout, stderr) = await CliProcess.RunAsync(["serve", "chat", .. port, flag, value]);

        Assert.True(2 == code, $"exit code {code}; stderr: {stderr}");
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
        Assert.Matches($"^switchboard: {Regex.Escape(flag)}[: ]", line);
        Assert.DoesNotContain("--help", line, StringComparison.Ordinal); // it says what to write; no pointer to help needed
    }

    [Theory]
    [InlineData("-e", "warp", "switchboard: -e: unknown engine 'warp' (choose from: iterative, threading, forking, async, select, poll, epoll, uring)")]
    [InlineData("-p", "65536", "switchboard: -p: bad port 65536 (0-65535)")]
    public async Task An_error_names_the_flag_as_typed_short_or_long(string flag, string value, string expected)
    {
        var (code, _, stderr) = await CliProcess.RunAsync("serve", "echo", flag, value);

        Assert.Equal(2, code);
        Assert.Equal(expected + "\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("--interval", "250ms", "time")]
    [InlineData("--interval", "0.25", "time")]
    [InlineData("--idle-timeout", "5m", "echo")]
    [InlineData("--shutdown-timeout", "2m", "echo")]
    [InlineData("--shutdown-timeout", "1h", "echo")]
    [InlineData("--register-timeout", "90s", "chat")]
    [InlineData("--max-pending-soft-seconds", "1.5s", "echo")]
    public async Task Every_duration_takes_a_unit_or_plain_seconds(string flag, string value, string app)
    {
        using var cli = CliProcess.Start("serve", app, "--port", "0", flag, value);
        await cli.ReadListeningLineAsync();
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task An_interval_in_milliseconds_is_that_interval()
    {
        // 200ms between lines: four lines (the first at once) well within a second and a half,
        // where seconds would take 600 s.
        using var cli = CliProcess.Start("serve", "time", "--port", "0", "--interval", "200ms");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        using var client = await TestClient.ConnectAsync(endPoint);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 4; i++)
            Assert.NotNull(await client.ReadLineAsync());
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Help_shows_durations_and_the_log_levels_as_they_are_typed()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("serve", "--help");

        Assert.Equal(0, code);
        Assert.Matches(@"--interval <time> +time: .*\[default: 5s\]", stdout);
        Assert.Matches(@"--shutdown-timeout <time> +.*\[default: 5s\]", stdout);
        Assert.Matches(@"--register-timeout <time> +.*\[default: 1m\]", stdout);
        Assert.Matches(@"--log-level <level> +.*: trace, debug, information, warning, error, critical, none \(any case\) \[default: information\]", stdout);
    }

    [Theory]
    [InlineData("CRITICAL")]
    [InlineData("critical")]
    [InlineData("Debug")]
    public async Task Every_log_level_in_help_is_accepted_in_any_case(string level)
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0", "--log-level", level);
        await cli.ReadListeningLineAsync();
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_log_level_as_a_number_is_refused()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("serve", "echo", "--log-level", "2");

        Assert.Equal(2, code);
        Assert.Equal("switchboard: --log-level: unknown level '2' (choose from: trace, debug, information, warning, error, critical, none)\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("-?")]
    [InlineData("--help")]
    public async Task Help_for_serve_needs_no_app(string help)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", help);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("switchboard serve <app> [options]", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("uring")]
    public async Task Running_out_of_descriptors_while_making_event_loops_is_one_line_and_exit_code_1(string engine)
    {
        // 256 loops need about 768 descriptors (uring: 512); 300 runs out part way, after a few dozen loops.
        using var cli = CliProcess.StartUnder("ulimit -n 300", "serve", "echo", "-e", engine, "--loops", "256", "--port", "0");
        string stdout = await cli.ReadToEndAsync();

        Assert.True(1 == await cli.WaitForExitAsync(), $"stdout: {stdout}; stderr: {cli.Stderr}");
        Assert.Equal("", stdout);
        Assert.Matches($@"^switchboard: cannot create {engine} event loop \d+ of 256: \S+ failed: Too many open files\n$", cli.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_port_that_is_not_a_number_is_one_line_without_a_stack_trace()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", "http");

        Assert.Equal(2, code);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("switchboard: ", stderr, StringComparison.Ordinal);
        Assert.Contains("http", stderr, StringComparison.Ordinal);
    }

    // "  -p, --port <n>   ..." or "  --interval <time>   ...": an option and the value it takes.
    [GeneratedRegex(@"^  (?:-\S+, )?(--[a-z-]+) <[^>]+>", RegexOptions.Multiline)]
    private static partial Regex OptionWithValue();

    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}$")]
    private static partial Regex AsctimeLine();
}
