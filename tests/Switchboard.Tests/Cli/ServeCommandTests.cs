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
    public async Task Serve_echo_echoes_and_shuts_down_gracefully_with_clients_connected()
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0");
        var (endPoint, line) = await cli.ReadListeningLineAsync();
        Assert.EndsWith("(echo, epoll)", line, StringComparison.Ordinal); // the default engine on Linux
        using var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync("ping\n");
        Assert.Equal("ping", await client.ReadLineAsync());

        cli.Terminate();

        Assert.Null(await client.ReadLineAsync());
        Assert.Equal(0, await cli.WaitForExitAsync());
        Assert.Contains("disconnected (server shutdown)", cli.Stderr, StringComparison.Ordinal);
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
    [InlineData("switchboard: unknown engine 'warp' (choose from: iterative, threading, forking, async, select, poll, epoll)", "serve", "echo", "--engine", "warp")]
    [InlineData("switchboard: unknown app 'chess' (choose from: time, echo, print, chat)", "serve", "chess")]
    [InlineData("switchboard: bad port 70000: must be 0-65535", "serve", "echo", "--port", "70000")]
    [InlineData("switchboard: bad port -1: must be 0-65535", "serve", "echo", "--port", "-1")]
    [InlineData("switchboard: cannot resolve host 'no-such-host.invalid'", "serve", "echo", "--host", "no-such-host.invalid")]
    [InlineData("switchboard: max connections must be at least 1 (got 0)", "serve", "echo", "--max-connections", "0")]
    [InlineData("switchboard: cannot parse argument 'Bogus' for option '--log-level' (choose from: Critical, Debug, Error, Information, None, Trace, Warning) (see 'switchboard serve --help')", "serve", "echo", "--log-level", "Bogus")]
    [InlineData("switchboard: --loops must be 0 (one per core) to 256 (got 100000)", "serve", "echo", "-e", "epoll", "--loops", "100000")]
    [InlineData("switchboard: --loops must be 0 (one per core) to 256 (got -1)", "serve", "echo", "-e", "epoll", "--loops", "-1")]
    [InlineData("switchboard: bad --loops 'many': must be a whole number", "serve", "echo", "-e", "epoll", "--loops", "many")]
    [InlineData("switchboard: bad --loops 'many': must be a whole number", "serve", "echo", "--loops", "many")]
    [InlineData("switchboard: --loops must be 0 (one per core) to 256 (got 300)", "serve", "echo", "--loops", "300")]
    [InlineData("switchboard: bad --workers '3': write MIN..MAX, e.g. 2..32", "serve", "echo", "-e", "epoll", "--workers", "3")]
    [InlineData("switchboard: bad --workers '4': write MIN..MAX, e.g. 2..32", "serve", "echo", "-e", "forking", "--workers", "4")]
    [InlineData("switchboard: spare workers must be at least 1 (got 0)", "serve", "echo", "-e", "forking", "--workers", "0..4")]
    [InlineData("switchboard: the most workers (2) must be at least the spare workers (3)", "serve", "echo", "-e", "forking", "--workers", "3..2")]
    [InlineData("switchboard: connections per worker must not be negative (got -1)", "serve", "echo", "-e", "forking", "--connections-per-worker", "-1")]
    [InlineData("switchboard: bad history -1: must be 0 or more", "serve", "chat", "--history", "-1")]
    [InlineData("switchboard: bad rate 0: must be more than 0 lines a second", "serve", "chat", "--rate", "0")]
    [InlineData("switchboard: --register-timeout must be 0 or more seconds (got -1)", "serve", "chat", "--register-timeout", "-1")]
    [InlineData("switchboard: --register-timeout must be at most 1000000 seconds (got 1E+20)", "serve", "chat", "--register-timeout", "1e20")]
    [InlineData("switchboard: --interval must be at most 1000000 seconds (got 1000000000000)", "serve", "time", "--interval", "1e12")]
    [InlineData("switchboard: --interval must be at least 0.001 seconds (got 0)", "serve", "time", "--interval", "0")]
    [InlineData("switchboard: --idle-timeout must be at most 1000000 seconds (got 1E+20)", "serve", "echo", "--idle-timeout", "1e20")]
    [InlineData("switchboard: --idle-timeout must be 0 or more seconds (got -1)", "serve", "echo", "--idle-timeout", "-1")]
    [InlineData("switchboard: --shutdown-timeout must be at most 1000000 seconds (got 1E+20)", "serve", "echo", "--shutdown-timeout", "1e20")]
    [InlineData("switchboard: --shutdown-timeout must be 0 or more seconds (got NaN)", "serve", "echo", "--shutdown-timeout", "NaN")]
    [InlineData("switchboard: max pending total bytes must not be negative (got -1); 0 means no cap", "serve", "echo", "--max-pending-total", "-1")]
    [InlineData("switchboard: max pending soft bytes must not be negative (got -5); 0 turns the soft limit off", "serve", "echo", "--max-pending-soft", "-5")]
    [InlineData("switchboard: --max-pending-soft-seconds must be 0 or more seconds (got -1)", "serve", "echo", "--max-pending-soft-seconds", "-1")]
    [InlineData("switchboard: --max-connections-per-ip must be 0 (off) or more (got -1)", "serve", "chat", "--max-connections-per-ip", "-1")]
    [InlineData("switchboard: --connect-rate must be 0 (off) or more (got -5)", "serve", "echo", "--connect-rate", "-5")]
    [InlineData("switchboard: bad --limit-exempt entry 'localhost': not an address or CIDR network (e.g. 10.0.0.0/8, ::1)", "serve", "echo", "--limit-exempt", "127.0.0.1,localhost")]
    [InlineData("switchboard: bad --limit-exempt entry '10.0.0.0/33': the prefix length must be 0-32", "serve", "echo", "--limit-exempt", "10.0.0.0/33")]
    [InlineData("switchboard: bad --limit-exempt entry 'fe80::/200': the prefix length must be 0-128", "serve", "echo", "--limit-exempt", "fe80::/200")]
    [InlineData("switchboard: --max-connections-per-ip and --connect-rate are not available on forking: its workers accept connections apart (set both to 0)", "serve", "chat", "-e", "forking", "--max-connections-per-ip", "4")]
    [InlineData("switchboard: --max-connections-per-ip and --connect-rate are not available on forking: its workers accept connections apart (set both to 0)", "serve", "echo", "-e", "forking", "--connect-rate", "10")]
    public async Task Bad_input_is_one_clear_line_and_exit_code_2(string expected, params string[] args)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(expected + "\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Running_out_of_descriptors_while_making_event_loops_is_one_line_and_exit_code_1()
    {
        // 256 loops need about 768 descriptors; 300 runs out part way, after a few dozen loops.
        using var cli = CliProcess.StartUnder("ulimit -n 300", "serve", "echo", "-e", "epoll", "--loops", "256", "--port", "0");
        string stdout = await cli.ReadToEndAsync();

        Assert.True(1 == await cli.WaitForExitAsync(), $"stdout: {stdout}; stderr: {cli.Stderr}");
        Assert.Equal("", stdout);
        Assert.Matches(@"^switchboard: cannot create epoll event loop \d+ of 256: \S+ failed: Too many open files\n$", cli.Stderr.ReplaceLineEndings("\n"));
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

    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}$")]
    private static partial Regex AsctimeLine();
}
