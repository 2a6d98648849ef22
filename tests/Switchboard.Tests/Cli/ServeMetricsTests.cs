using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>serve --metrics</c>: the Prometheus endpoint, scraped over HTTP while real clients use the
/// server, and checked against what the test did.
/// </summary>
public sealed class ServeMetricsTests
{
    private const int Clients = 3;
    private const int LinesEach = 4;

    [Theory]
    [InlineData("epoll")]
    [InlineData("uring")]
    [InlineData("async")]
    [InlineData("threading")]
    [InlineData("select")]
    [InlineData("poll")]
    [InlineData("iterative")]
    [InlineData("forking")]
    public async Task Counters_match_what_the_clients_did(string engine)
    {
        var (cli, endPoint, url) = await StartAsync("serve", "echo", "--port", "0", "--engine", engine);
        using var server = cli;
        const string line = "hello metrics"; // 14 bytes with its \n
        for (int i = 0; i < Clients; i++)
        {
            using var client = await TestClient.ConnectAsync(endPoint);
            for (int n = 0; n < LinesEach; n++)
                await client.AssertEchoesAsync(line);
        }

        long bytes = Clients * LinesEach * (line.Length + 1);
        var scrape = await PrometheusScrape.WaitUntilAsync(url, s => s.Value("switchboard_connections_closed_total") >= Clients);
        string port = $"server_port={endPoint.Port}";
        Assert.Equal(Clients, scrape.Value("switchboard_connections_accepted_total", port, $"switchboard_engine={engine}"));
        Assert.Equal(Clients, scrape.Value("switchboard_connections_closed_total", port, "switchboard_disconnect_reason=remote_closed"));
        Assert.Equal(0, scrape.Value("switchboard_connections_active", port));
        Assert.Equal(bytes, scrape.Value("switchboard_io_bytes_total", port, "network_io_direction=receive"));
        Assert.Equal(bytes, scrape.Value("switchboard_io_bytes_total", port, "network_io_direction=transmit"));
        Assert.Equal(Clients * LinesEach, scrape.Value("switchboard_lines_total", port, "network_io_direction=receive"));
        Assert.Equal(Clients * LinesEach, scrape.Value("switchboard_lines_total", port, "network_io_direction=transmit"));
        if (engine is "epoll" or "select" or "poll" or "uring")
        {
            Assert.True(scrape.Value("switchboard_loop_waits_total", port) > 0, scrape.Text);
            Assert.True(scrape.Value("switchboard_loop_events_total", port) >= Clients * (LinesEach + 1), scrape.Text); // each line read, each close (uring: completions)
        }
        if (engine == "forking")
        {
            Assert.True(scrape.Value("switchboard_workers_started_total", port) >= 1, scrape.Text);
            Assert.True(scrape.Value("switchboard_workers", port, "switchboard_worker_state=idle") >= 1, scrape.Text);
        }

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Open_connections_and_their_queued_output_are_seen_while_they_last()
    {
        var (cli, endPoint, url) = await StartAsync(
            "serve", "echo", "--engine", "epoll", "--port", "0", "--max-pending", "67108864", "--max-pending-soft", "0"); // epoll reads on while output queues; uring pauses at 256 KiB
        using var server = cli;
        using var first = await TestClient.ConnectAsync(endPoint);
        using var second = await TestClient.ConnectAsync(endPoint);
        await first.AssertEchoesAsync("one");
        await second.AssertEchoesAsync("two");

        var scrape = await PrometheusScrape.WaitUntilAsync(url, s => s.Value("switchboard_connections_active") == 2);
        Assert.Equal(8, scrape.Value("switchboard_io_bytes_total", "network_io_direction=receive"));
        Assert.Equal(0, scrape.Value("switchboard_output_queued_bytes"));

        // A third that sends and never reads: its echo fills the kernel's buffers, then its queue.
        using var hoarder = await TestClient.ConnectAsync(endPoint, receiveBufferSize: 4096);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (int i = 0; i < 128; i++) // 8 MiB: more than loopback's buffers hold, less than the cap
            await hoarder.SendAsync(chunk);
        // Once it has all been read the queue stands still (the client reads nothing), and a
        // scrape's two readings agree: the others' queues are empty.
        scrape = await PrometheusScrape.WaitUntilAsync(url, s =>
            s.Value("switchboard_io_bytes_total", "network_io_direction=receive") == 8 + (128 * chunk.Length)
            && s.Value("switchboard_output_queued_bytes") > 0
            && s.Value("switchboard_output_queued_bytes") == s.Value("switchboard_output_queued_largest_bytes"));
        Assert.Equal(3, scrape.Value("switchboard_connections_active"));
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Refusals_slow_consumers_and_dropped_output_are_counted_by_reason()
    {
        var (cli, endPoint, url) = await StartAsync(
            "serve", "echo", "--engine", "epoll", "--port", "0", "--max-connections", "1", "--max-pending", "65536"); // epoll drops at --max-pending; uring pauses reading first
        using var server = cli;

        // A client that sends and never reads: its echo piles up past --max-pending, and it is dropped.
        using var reader = await TestClient.ConnectAsync(endPoint, receiveBufferSize: 4096);
        await reader.AssertEchoesAsync("first");
        using var refused = await TestClient.ConnectAsync(endPoint);
        Assert.StartsWith("error: server full", await refused.ReadLineAsync());
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        try
        {
            while (!cli.Stderr.Contains("too slow", StringComparison.Ordinal))
                await reader.SendAsync(chunk);
        }
        catch (SocketException)
        {
            // Dropped while sending: what the test wanted.
        }

        var scrape = await PrometheusScrape.WaitUntilAsync(url, s => s.Value("switchboard_connections_closed_total", "switchboard_disconnect_reason=too_slow") == 1);
        Assert.Equal(1, scrape.Value("switchboard_connections_refused_total", "switchboard_refusal_reason=server_full"));
        Assert.True(scrape.Value("switchboard_output_dropped_bytes_total") > 0, scrape.Text);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_time_app_reports_how_late_its_ticks_were()
    {
        var (cli, endPoint, url) = await StartAsync("serve", "time", "--port", "0", "--interval", "10ms");
        using var server = cli;
        using var client = await TestClient.ConnectAsync(endPoint);
        for (int i = 0; i < 5; i++)
            Assert.NotNull(await client.ReadLineAsync());

        var scrape = await PrometheusScrape.WaitUntilAsync(url, s => s.Value("switchboard_timer_lateness_seconds_count") >= 5);
        Assert.True(scrape.Has("switchboard_timer_lateness_seconds_bucket"), scrape.Text);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Chat_reports_members_rooms_lines_and_deliveries()
    {
        var (cli, endPoint, url) = await StartAsync("serve", "chat", "--port", "0");
        using var server = cli;
        using var alice = await TestClient.ConnectAsync(endPoint);
        using var bob = await TestClient.ConnectAsync(endPoint);
        using var carol = await TestClient.ConnectAsync(endPoint);
        foreach (var (client, nick) in new[] { (alice, "alice"), (bob, "bob"), (carol, "carol") })
        {
            await client.SendAsync($"/nick {nick}\n");
            await client.ReadUntilAsync($"*** {nick} joined #lobby", prefix: true);
        }

        await carol.SendAsync("/join #den\n");
        await carol.ReadUntilAsync("*** carol joined #den", prefix: true);
        await alice.SendAsync("hello everyone\n");
        await bob.ReadUntilAsync("<alice> hello everyone");

        var scrape = await PrometheusScrape.WaitUntilAsync(url, s => s.Value("switchboard_chat_lines_total", "switchboard_chat_kind=talk") == 1);
        Assert.Equal(3, scrape.Value("switchboard_chat_members"));
        Assert.Equal(2, scrape.Value("switchboard_chat_rooms")); // the lobby and #den
        // Joins 1 + 2 + 3 (each told to everyone in the room, the joiner too), carol's move 2 + 1
        // (her leaving told to the two left, her joining to herself), and alice's line to bob: 10.
        Assert.Equal(10, scrape.Value("switchboard_chat_deliveries_total"));
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Promtool_accepts_the_output()
    {
        string? promtool = FindOnPath("promtool");
        Assert.True(promtool is not null, "promtool is not installed: ./test.sh installs it (Debian package prometheus)");
        var (cli, endPoint, url) = await StartAsync("serve", "chat", "--port", "0");
        using var server = cli;
        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            await client.SendAsync("/nick alice\nhello\n");
            await client.ReadUntilAsync("*** alice joined #lobby", prefix: true);
        }

        var scrape = await PrometheusScrape.WaitUntilAsync(url, s => s.Value("switchboard_connections_closed_total") == 1);
        var check = new ProcessStartInfo(promtool!, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(check)!;
        await process.StandardInput.WriteAsync(scrape.Text);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        string errors = await process.StandardError.ReadToEndAsync().WaitAsync(Timeouts.Patient);
        await process.WaitForExitAsync().WaitAsync(Timeouts.Patient);
        Assert.True(process.ExitCode == 0, $"promtool check metrics: exit {process.ExitCode}\n{await output}{errors}");
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_metrics_port_in_use_is_one_line_and_exit_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", "0", "--metrics", $"127.0.0.1:{port}");

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"switchboard: --metrics: cannot listen on 127.0.0.1:{port}: address already in use", stderr.Trim());
    }

    [Theory]
    [InlineData("9464", "--metrics: write HOST:PORT, e.g. 127.0.0.1:9464 (got '9464')")]
    [InlineData("localhost:http", "--metrics: write HOST:PORT, e.g. 127.0.0.1:9464 (got 'localhost:http')")]
    [InlineData("127.0.0.1:70000", "--metrics: bad port 70000 in '127.0.0.1:70000' (0-65535)")]
    [InlineData("::1:9464", "--metrics: write an IPv6 address in brackets, e.g. [::1]:9464 (got '::1:9464')")]
    public async Task A_bad_metrics_address_is_one_line_and_exit_2(string value, string message)
    {
        var (code, _, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", "0", "--metrics", value);

        Assert.Equal(2, code);
        Assert.Equal($"switchboard: {message}", stderr.Trim());
    }

    /// <summary>Starts <c>serve</c> with <paramref name="args"/> and metrics on a free port: the process, where it listens, and the URL to scrape.</summary>
    private static async Task<(CliProcess Cli, IPEndPoint EndPoint, string Url)> StartAsync(params string[] args)
    {
        var cli = CliProcess.Start([.. args, "--metrics", "127.0.0.1:0"]);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        return (cli, endPoint, await ReadMetricsLineAsync(cli));
    }

    /// <summary>Reads stdout up to <c>metrics on URL</c> (after the listening line) and returns the URL.</summary>
    private static async Task<string> ReadMetricsLineAsync(CliProcess cli)
    {
        string? line = await cli.ReadLineAsync();
        Assert.True(line is not null && line.StartsWith("metrics on http://", StringComparison.Ordinal), $"not the metrics line: {line}; stderr: {cli.Stderr}");
        return line["metrics on ".Length..];
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
