using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

public sealed partial class ConnectCommandTests
{
    [Theory]
    [InlineData("poll")]
    [InlineData("select")]
    [InlineData("async")]
    public async Task Prints_what_a_time_server_sends_and_exits_0_when_it_closes(string wait)
    {
        using var server = CliProcess.Start("serve", "time", "--port", "0", "--interval", "0.1", "--utc");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var client = CliProcess.Start("connect", "127.0.0.1", Port(endPoint), "--wait", wait);

        for (int i = 0; i < 3; i++)
            Assert.Matches(ReceivedTime(), await client.ReadLineAsync());
        server.Terminate();

        string rest = await client.ReadToEndAsync();
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.EndsWith("Remote end closed connection; exiting.\n", rest.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain('\r', rest);
        Assert.DoesNotContain('|', rest); // no spinner: stdout is not a terminal
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("select")]
    [InlineData("async")]
    public async Task Sends_lines_typed_on_stdin_and_keeps_receiving_after_stdin_ends(string wait)
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var client = CliProcess.Start("connect", "127.0.0.1", Port(endPoint), "--wait", wait);

        await client.WriteInputAsync("hello\n");
        Assert.Equal("Received: hello", await client.ReadLineAsync());
        await client.WriteInputAsync("ünïcödé line\n");
        client.CloseInput();
        Assert.Equal("Received: ünïcödé line", await client.ReadLineAsync());

        server.Terminate(); // the client was still connected after stdin ended
        Assert.Equal("Remote end closed connection; exiting.", await client.ReadLineAsync());
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Two_connect_clients_chat_through_serve_chat()
    {
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--engine", "epoll");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var alice = CliProcess.Start("connect", "127.0.0.1", Port(endPoint));
        using var bob = CliProcess.Start("connect", "127.0.0.1", Port(endPoint), "--wait", "select");
        await alice.ReadUntilAsync("Received: *** welcome");
        await bob.ReadUntilAsync("Received: *** welcome");

        await alice.WriteInputAsync("/nick alice\n");
        await alice.ReadUntilAsync("Received: *** you are alice, in #lobby");
        await bob.WriteInputAsync("/nick bob\n");
        await alice.ReadUntilAsync("Received: *** bob joined #lobby (2 here)");
        await bob.WriteInputAsync("hello from bob\n");
        await alice.ReadUntilAsync("Received: <bob> hello from bob");
        await alice.WriteInputAsync("/quit later\n");
        await bob.ReadUntilAsync("Received: *** alice quit: later");

        await alice.ReadUntilAsync("Remote end closed connection; exiting.");
        Assert.Equal(0, await alice.WaitForExitAsync());
    }

    [Fact]
    public async Task A_reset_connection_is_a_problem_and_exit_code_1()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = CliProcess.Start("connect", "127.0.0.1", Port((IPEndPoint)listener.LocalEndPoint!));
        using (var accepted = await listener.AcceptAsync().WaitAsync(Timeouts.Patient))
        {
            accepted.Send("hello\n"u8);
            Assert.Equal("Received: hello", await client.ReadLineAsync()); // connected for sure
            accepted.LingerState = new LingerOption(true, 0);
        }

        string output = (await client.ReadToEndAsync()).ReplaceLineEndings("\n");
        Assert.True(1 == await client.WaitForExitAsync(), $"stdout: {output}; stderr: {client.Stderr}");
        Assert.EndsWith("Problem occurred; exiting. (connection reset by peer)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_connection_is_one_line_and_exit_code_2()
    {
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, not listening: connecting is refused
        string port = Port((IPEndPoint)closed.LocalEndPoint!);

        var (code, stdout, stderr) = await CliProcess.RunAsync("connect", "127.0.0.1", port);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"switchboard: cannot connect to 127.0.0.1:{port}: connection refused\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_server_that_never_answers_is_given_up_after_the_connect_timeout_with_one_line_and_exit_code_2()
    {
        // A listener whose accept queue (backlog 0: one connection) is full drops further SYNs, so
        // the next connect gets no answer at all, like a host behind a firewall that drops packets.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(endPoint).WaitAsync(Timeouts.Quick);
        string port = Port(endPoint);

        var (code, stdout, stderr) = await CliProcess.RunAsync("connect", "127.0.0.1", port, "--connect-timeout", "500ms");

        Assert.True(2 == code, $"stdout: {stdout}; stderr: {stderr}");
        Assert.Equal("", stdout);
        Assert.Equal($"switchboard: cannot connect to 127.0.0.1:{port}: no answer in 0.5 s (see --connect-timeout)\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("0", "switchboard: --connect-timeout must be at least 1ms (got 0)")]
    [InlineData("0.5ms", "switchboard: --connect-timeout must be at least 1ms (got 0.5ms)")]
    [InlineData("1e20", "switchboard: --connect-timeout must be at most 1000000s (got 1e20)")]
    [InlineData("300h", "switchboard: --connect-timeout must be at most 1000000s (got 300h)")]
    [InlineData("10 sec", "switchboard: --connect-timeout: bad duration '10 sec': write e.g. 10s, 500ms, 5m or 2.5 (seconds)")]
    [InlineData("5x", "switchboard: --connect-timeout: bad duration '5x': write e.g. 10s, 500ms, 5m or 2.5 (seconds)")]
    public async Task A_connect_timeout_out_of_range_is_a_usage_error(string seconds, string expected)
    {
        var (code, _, stderr) = await CliProcess.RunAsync("connect", "127.0.0.1", "1", "--connect-timeout", seconds);

        Assert.Equal(2, code);
        Assert.Equal(expected + "\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task An_unknown_host_is_one_line_and_exit_code_2()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("connect", "no-such-host.invalid", "4242");

        Assert.Equal(2, code);
        Assert.Equal("switchboard: cannot connect to no-such-host.invalid:4242: unknown host\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_bad_wait_mode_is_one_line_naming_the_choices_in_lower_case_and_exit_code_2()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync("connect", "-w", "epoll");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("switchboard: -w: unknown mode 'epoll' (choose from: poll, select, async)\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Help_shows_the_wait_modes_and_their_default_in_lower_case_and_durations_as_typed()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("connect", "--help");

        Assert.Equal(0, code);
        Assert.Matches(@"-w, --wait <poll\|select\|async> +How to wait .* \[default: poll\]", stdout);
        Assert.Matches(@"--connect-timeout <time> +.*\[default: 10s\]", stdout);
        Assert.Contains("switchboard connect [<host> [<port>]] [options]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_list_of_commands_shows_connects_arguments_as_its_own_help_does()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("--help");

        Assert.Equal(0, code);
        string[] rows = stdout.ReplaceLineEndings("\n").Split('\n');
        string connect = Assert.Single(rows, r => r.TrimStart().StartsWith("connect", StringComparison.Ordinal));
        Assert.StartsWith("  connect [<host> [<port>]]  Connect to a server", connect, StringComparison.Ordinal);
        // The descriptions stay in one column.
        string serve = Assert.Single(rows, r => r.TrimStart().StartsWith("serve <app>", StringComparison.Ordinal));
        Assert.Equal(connect.IndexOf("Connect to", StringComparison.Ordinal), serve.IndexOf("Serve an app", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wait_mode_in_any_case_is_accepted()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        using var client = CliProcess.Start("connect", "127.0.0.1", Port(endPoint), "--wait", "ASYNC", "--connect-timeout", "2s", "--no-spinner");
        await client.WriteInputAsync("hello\n");
        await client.ReadUntilAsync("Received: hello");
        await server.StopGracefullyAsync();
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("select")]
    [InlineData("async")]
    public async Task Plain_mode_writes_exactly_what_the_server_sends_and_nothing_else(string wait)
    {
        using var listener = Listen();
        using var client = CliProcess.Start("connect", "127.0.0.1", Port((IPEndPoint)listener.LocalEndPoint!), "--plain", "--wait", wait);
        using (var accepted = await listener.AcceptAsync().WaitAsync(Timeouts.Patient))
        {
            accepted.Send("one\r\ntwo\n"u8);
            accepted.Send("ünï\n"u8);
            accepted.Send("a prompt> "u8); // no newline
            accepted.Shutdown(SocketShutdown.Both);
        }

        string output = await client.ReadToEndAsync();
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal("one\r\ntwo\nünï\na prompt> ", output);
        Assert.Equal("", client.Stderr);
    }

    [Fact]
    public async Task Plain_mode_prints_a_time_servers_lines_as_they_are()
    {
        using var server = CliProcess.Start("serve", "time", "--port", "0", "--interval", "0.1", "--utc");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var client = CliProcess.Start("connect", "127.0.0.1", Port(endPoint), "--plain");

        for (int i = 0; i < 3; i++)
            Assert.Matches(Time(), await client.ReadLineAsync());
        server.Terminate();

        string rest = await client.ReadToEndAsync();
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.All(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Matches(Time(), line)); // no farewell line
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("select")]
    [InlineData("async")]
    public async Task With_exit_on_eof_the_end_of_stdin_half_closes_and_what_the_server_still_sends_is_printed_before_exit_0(string wait)
    {
        using var listener = Listen();
        using var client = CliProcess.Start("connect", "127.0.0.1", Port((IPEndPoint)listener.LocalEndPoint!), "--plain", "--exit-on-eof", "--wait", wait);
        using var accepted = await listener.AcceptAsync().WaitAsync(Timeouts.Patient);

        await client.WriteInputAsync("question\n");
        client.CloseInput();
        Assert.Equal("question\n", await accepted.ReceiveToEndAsync()); // end of stream: the client shut down its sending side
        accepted.Send("answer after your end\n"u8); // the client still reads
        Assert.Equal("answer after your end", await client.ReadLineAsync());
        accepted.Shutdown(SocketShutdown.Both);

        Assert.Equal("", await client.ReadToEndAsync());
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Without_exit_on_eof_the_end_of_stdin_does_not_half_close()
    {
        using var listener = Listen();
        using var client = CliProcess.Start("connect", "127.0.0.1", Port((IPEndPoint)listener.LocalEndPoint!), "--plain");
        using var accepted = await listener.AcceptAsync().WaitAsync(Timeouts.Patient);

        await client.WriteInputAsync("question\nlast\n");
        client.CloseInput();
        var buffer = new byte[64];
        int got = 0;
        while (got < "question\nlast\n".Length)
            got += await accepted.ReceiveAsync(new ArraySegment<byte>(buffer, got, buffer.Length - got)).WaitAsync(Timeouts.Patient);
        accepted.Send("ping\n"u8);
        Assert.Equal("ping", await client.ReadLineAsync()); // a round trip after all of stdin was sent, its end read meanwhile
        accepted.Blocking = false;
        Assert.Equal(SocketError.WouldBlock, ReceiveError(accepted, buffer)); // still open from the client's side: no end of stream
        accepted.Shutdown(SocketShutdown.Both);
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Plain_mode_reports_a_failure_in_one_line_on_stderr_and_exit_code_1()
    {
        using var listener = Listen();
        string port = Port((IPEndPoint)listener.LocalEndPoint!);
        using var client = CliProcess.Start("connect", "127.0.0.1", port, "--plain");
        using (var accepted = await listener.AcceptAsync().WaitAsync(Timeouts.Patient))
        {
            accepted.Send("hello\n"u8);
            Assert.Equal("hello", await client.ReadLineAsync());
            accepted.LingerState = new LingerOption(true, 0);
        }

        Assert.Equal("", await client.ReadToEndAsync());
        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Equal($"switchboard: connection to 127.0.0.1:{port} failed: connection reset by peer\n", client.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Help_explains_plain_mode_and_exit_on_eof()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("connect", "--help");

        Assert.Equal(0, code);
        string help = Regex.Replace(stdout, @"\s+", " ");
        Assert.Contains("--plain For scripts: write what the server sends exactly as it arrives, and nothing else (no 'Received: ' prefix, no spinner, no closing message; a failure is one line on stderr)", help, StringComparison.Ordinal);
        Assert.Contains("--exit-on-eof At end of stdin, half-close the connection (like nc -N) so the server sees the end of input, print what it still sends, and exit 0 when it closes", help, StringComparison.Ordinal);
        Assert.Contains("For scripts: --plain --exit-on-eof, like nc -N.", help, StringComparison.Ordinal);
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        return listener;
    }

    private static SocketError ReceiveError(Socket socket, byte[] buffer)
    {
        socket.Receive(buffer, SocketFlags.None, out var error);
        return error;
    }

    private static string Port(IPEndPoint endPoint) => endPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\w{3} \w{3} [ 123]\d \d\d:\d\d:\d\d \d{4}$")]
    private static partial Regex Time();

    [GeneratedRegex(@"^Received: \w{3} \w{3} [ 123]\d \d\d:\d\d:\d\d \d{4}$")]
    private static partial Regex ReceivedTime();
}
