using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Bench;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The chat load's C client, <c>bench/peers/chat-client.c</c>: the bench compiling it and
/// measuring with it by default (its TLS refusal and fallback: BenchCClientsTests), a
/// throttling server told by either client; and the client itself, compiled with warnings as
/// errors, against a real chat server (its counts adding up, over one node and two), against a
/// server that welcomes its members and then refuses them and closes, and against one that closes
/// instead of answering /nick; and how the bench reads its report. The compiler is <c>cc</c> (gcc,
/// which test.sh installs).
/// </summary>
[Collection(NonParallel.Name)]
[SupportedOSPlatform("linux")] // the benchmark is Linux only
public sealed class BenchChatClientTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    [Fact]
    public async Task The_bench_measures_the_chat_load_with_the_c_client_by_default()
    {
        string built = Path.Combine(AppContext.BaseDirectory, "chat-client");
        var before = DateTime.UtcNow.AddSeconds(-1); // file times are coarser than the clock

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "chat", "--engines", "epoll", "--clients", "20", "--senders", "5", "--duration", "2s", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.True(File.GetLastWriteTimeUtc(built) >= before, "the bench did not compile the C chat client"); // compiled on each run
        Assert.Equal("chat: 20 clients, 5 talking, 2 s, C client", stdout.ReplaceLineEndings("\n").Split('\n')[0]);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "chat.json")));
        var settings = json.RootElement.GetProperty("Settings");
        Assert.Equal("c", settings.GetProperty("ChatClient").GetString());
        Assert.Equal(built, settings.GetProperty("ChatClientPath").GetString());
        Assert.False(settings.TryGetProperty("TimeClient", out _));
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("Failure").ValueKind);
        var chat = result.GetProperty("Chat");
        long sent = chat.GetProperty("LinesSent").GetInt64();
        // 5 senders × 100 lines/s × 2 s, less what a busy machine skips; each line to the 19 others.
        Assert.InRange(sent, 500, 1000);
        Assert.Equal(sent * 19, chat.GetProperty("Expected").GetInt64());
        Assert.InRange(result.GetProperty("Messages").GetInt64(), (long)(0.9 * sent * 19), sent * 19);
        Assert.Equal(result.GetProperty("Messages").GetInt64(), chat.GetProperty("Delivered").GetInt64());
        Assert.Equal(0, chat.GetProperty("RefusalLines").GetInt32());
        Assert.Equal(5, chat.GetProperty("Senders").GetInt32());
        Assert.True(result.GetProperty("LatencyP99Micros").GetDouble() >= result.GetProperty("LatencyP50Micros").GetDouble());
        Assert.True(result.GetProperty("LatencyP50Micros").GetDouble() > 0);
        Assert.True(result.GetProperty("LoadGeneratorCpuCores").GetDouble() > 0);
        Assert.True(result.GetProperty("ServerCpuNanosPerMessage").GetDouble() > 0);
    }

    [Fact]
    public async Task An_unknown_chat_client_is_one_line_and_exit_code_2()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync("chat", "--engines", "epoll", "--chat-client", "java");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal("switchboard-bench: --chat-client is c or dotnet (got 'java')\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("c")]
    [InlineData("dotnet")]
    public async Task A_server_that_paces_talk_is_told_by_either_client_and_exits_3(string client)
    {
        // One line a second per connection against senders talking 100 lines/s.
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--rate", "1", "--history", "0", "--connect-rate", "0", "--max-connections-per-ip", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "chat", "--target", $"127.0.0.1:{endPoint.Port}", "--chat-client", client, "--duration", "1s", "--clients", "4", "--senders", "2", "--out", _out);

        Assert.True(code == 3, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.EndsWith(client == "c" ? ", C client" : ", .NET client", stdout.ReplaceLineEndings("\n").Split('\n')[0], StringComparison.Ordinal);
        string warning = stderr.ReplaceLineEndings("\n").Split('\n').Single(l => l.StartsWith("switchboard-bench: chat on target: ", StringComparison.Ordinal));
        Assert.Contains("the server throttled or refused the talk", warning, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "chat.json")));
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.True(result.GetProperty("Throttled").GetBoolean());
        var chat = result.GetProperty("Chat");
        Assert.True(chat.GetProperty("DeliveredShare").GetDouble() < ChatHealth.DeliveredEnough || chat.GetProperty("RefusalLines").GetInt32() > 0, chat.ToString());
    }

    [Fact]
    public async Task Help_describes_the_chat_client_option_and_its_default()
    {
        var (code, stdout, _) = await CliProcess.RunBenchAsync("--help");

        Assert.Equal(0, code);
        string text = Regex.Replace(stdout, @"\s+", " "); // undo the help's line wrapping
        Assert.Contains("--chat-client <c|dotnet> chat: what talks and listens. 'c' (the default): bench/peers/chat-client.c, one C process holding every member on one epoll loop", text, StringComparison.Ordinal);
        Assert.Contains("'dotnet': the bench's own clients, one .NET task each", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c", false, "chat: 10 clients, 2 talking, 2 s, C client")]
    [InlineData("dotnet", false, "chat: 10 clients, 2 talking, 2 s, .NET client")]
    [InlineData("dotnet", true, "chat: 10 clients, 2 talking, 2 s, .NET client (the C one has no TLS), tls: true")]
    public void The_load_names_the_client_that_measured(string client, bool tls, string expected)
    {
        var settings = new BenchSettings { Scenario = "chat", Clients = 10, Senders = 2, Duration = TimeSpan.FromSeconds(2), ChatClient = client, Tls = tls };

        Assert.Equal(expected, LoadDescription.Of(settings));
    }

    [Fact]
    public async Task The_client_compiles_without_warnings_and_its_counts_add_up_against_a_chat_server()
    {
        string program = await CLoadClient.CompileAsync("chat-client", _out);
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--rate", "100000", "--history", "0", "--connect-rate", "0", "--max-connections-per-ip", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        using var client = CliProcess.StartTool(program, "10", "3", "1", $"127.0.0.1:{endPoint.Port}");
        string stdout = await client.ReadToEndAsync();

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal("chat-client: 10 clients in the room, measuring for 1 s\n", client.Stderr.ReplaceLineEndings("\n"));
        Assert.Matches(
            @"^lines_sent \d+\ndelivered \d+\nexpected \d+\nrefusal_lines 0\nsenders 3\nsenders_closed_early 0\nlisteners_closed_early 0\nseconds \d+\.\d{6}\ncpu_seconds \d+\.\d{6}\n(latency \d+ \d+\n)+$",
            stdout);
        // Every line is one the bench reads (it throws on any other), the histogram adding up to the deliveries.
        var (outcome, cpu) = CChatLoad.Parse(stdout);
        var health = outcome.Health;
        Assert.InRange(health.LinesSent, 150, 300); // 3 senders × 100 lines/s × 1 s, less what a busy machine skips
        Assert.Equal(health.LinesSent * 9, health.Expected);
        Assert.Equal(health.Expected, health.Delivered); // a light load: every line reaches every other member by the end of the drain
        Assert.Equal(health.Delivered, outcome.Latency.TotalCount);
        Assert.Equal(health.Delivered, outcome.Stats.Messages);
        Assert.Equal(0, outcome.CrossNode.TotalCount); // one node
        Assert.False(health.Throttled);
        Assert.InRange(outcome.Stats.Seconds, 1.0, 1.0 + Timeouts.Quick.TotalSeconds);
        Assert.True(cpu >= 0);
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task Over_two_nodes_the_client_counts_the_lines_from_the_other_node_as_cross_node()
    {
        string program = await CLoadClient.CompileAsync("chat-client", _out);
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--rate", "100000", "--history", "0", "--connect-rate", "0", "--max-connections-per-ip", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        string node = $"127.0.0.1:{endPoint.Port}";

        // Both "nodes" are one server: clients c0, c2, c4 join through the first, c1, c3, c5 the second.
        using var client = CliProcess.StartTool(program, "6", "2", "1", node, node);
        string stdout = await client.ReadToEndAsync();

        Assert.Equal(0, await client.WaitForExitAsync());
        var (outcome, _) = CChatLoad.Parse(stdout);
        Assert.True(outcome.Health.LinesSent > 0);
        Assert.Equal(outcome.Health.Expected, outcome.Health.Delivered);
        // c0's lines reach c1..c5, three of them (c1, c3, c5) on the other node; c1's reach c0, c2..c5, three (c0, c2, c4) on the other.
        Assert.Equal(outcome.Health.Delivered * 3, outcome.CrossNode.TotalCount * 5);
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_client_counts_refusals_and_members_closed_early()
    {
        string program = await CLoadClient.CompileAsync("chat-client", _out);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        using var client = CliProcess.StartTool(program, "3", "1", "1.5", $"127.0.0.1:{port}");
        var members = new List<Socket>();
        try
        {
            // A stand-in chat server: each member welcomed, then the sender (c0) and one listener
            // (c1) refused and closed, the last (c2) sent a line of c0's and left open.
            for (int i = 0; i < 3; i++)
                members.Add(await listener.AcceptAsync().WaitAsync(Timeouts.Quick));
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal($"/nick c{i}\n", await ReadLineAsync(members[i]));
                members[i].Send(Encoding.ASCII.GetBytes($"*** you are c{i}, in #lobby\n"));
            }

            await client.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains(" clients in the room", StringComparison.Ordinal)), what: "the client's open line");
            members[0].Send(Encoding.ASCII.GetBytes("! too many lines; goodbye\n"));
            members[0].Shutdown(SocketShutdown.Both);
            members[0].Close();
            members[1].Send(Encoding.ASCII.GetBytes("! not sent: the server is shutting down\n"));
            members[1].Shutdown(SocketShutdown.Both);
            members[1].Close();
            long stamp = Stopwatch.GetTimestamp(); // the clock the client stamps with
            members[2].Send(Encoding.ASCII.GetBytes($"<c0> t={stamp.ToString(CultureInfo.InvariantCulture)}\n"));

            string stdout = await client.ReadToEndAsync();
            Assert.Equal(0, await client.WaitForExitAsync());
            var (outcome, _) = CChatLoad.Parse(stdout);
            var health = outcome.Health;
            Assert.Equal(2, health.RefusalLines);
            Assert.StartsWith("! ", health.FirstRefusal, StringComparison.Ordinal);
            Assert.Contains($"first_refusal {health.FirstRefusal}\n", stdout, StringComparison.Ordinal);
            Assert.Equal(1, health.Senders);
            Assert.Equal(1, health.SendersClosedEarly);
            Assert.Equal(1, health.ListenersClosedEarly);
            Assert.Equal(1, health.Delivered); // the one stamped line
            Assert.Equal(1, outcome.Latency.TotalCount);
            Assert.True(health.Throttled);
        }
        finally
        {
            foreach (var member in members)
                member.Dispose();
        }
    }

    [Fact]
    public async Task A_server_that_closes_instead_of_answering_nick_is_one_line_and_exit_code_1()
    {
        string program = await CLoadClient.CompileAsync("chat-client", _out);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        using var client = CliProcess.StartTool(program, "2", "1", "1", $"127.0.0.1:{port}");
        using (var first = await listener.AcceptAsync().WaitAsync(Timeouts.Quick))
        using (var second = await listener.AcceptAsync().WaitAsync(Timeouts.Quick))
        {
            Assert.Equal("/nick c0\n", await ReadLineAsync(first));
            first.Shutdown(SocketShutdown.Both);
        }

        Assert.Equal("", await client.ReadToEndAsync());
        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Equal("chat-client: the server closed the connection instead of answering /nick: is it the chat app?\n", client.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_refused_connect_is_one_line_naming_the_node_and_exit_code_1()
    {
        string program = await CLoadClient.CompileAsync("chat-client", _out);
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: a connect to it is refused
        int port = ((IPEndPoint)probe.LocalEndPoint!).Port;

        using var client = CliProcess.StartTool(program, "2", "1", "1", $"127.0.0.1:{port}");

        Assert.Equal("", await client.ReadToEndAsync());
        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Equal($"chat-client: cannot connect to 127.0.0.1:{port}: Connection refused\n", client.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_bench_reads_the_clients_report_into_the_chat_outcome()
    {
        var (outcome, cpu) = CChatLoad.Parse(
            "lines_sent 2\ndelivered 4\nexpected 6\nrefusal_lines 1\nsenders 2\nsenders_closed_early 1\nlisteners_closed_early 0\n" +
            "seconds 1.000000\ncpu_seconds 0.250000\nfirst_refusal ! too many lines; goodbye\nlatency 1000000 3\nlatency 2000000 1\ncross_node 2000000 1\n");

        Assert.Equal(new LoadStats(4, 0, 0, 1.0), outcome.Stats);
        Assert.Equal(0.25, cpu);
        Assert.Equal(new ChatHealth(2, 4, 6, 1, "! too many lines; goodbye", 1, 2, 0), outcome.Health);
        Assert.Equal(4, outcome.Latency.TotalCount);
        Assert.Equal(1, outcome.CrossNode.TotalCount);
        double p50Micros = outcome.Latency.GetValueAtPercentile(50) * 1e6 / Stopwatch.Frequency; // as the bench reports it
        Assert.InRange(p50Micros, 999, 1002); // 1 ms, within the histogram's 3 significant digits
        var mismatch = Assert.Throws<BenchException>(() => CChatLoad.Parse(
            "lines_sent 2\ndelivered 5\nexpected 6\nrefusal_lines 0\nsenders 2\nsenders_closed_early 0\nlisteners_closed_early 0\nseconds 1.0\ncpu_seconds 0.1\nlatency 1000 4\n"));
        Assert.Equal("the C chat client printed 5 deliveries and a histogram of 4", mismatch.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }

    /// <summary>One line the client wrote, read a byte at a time so that nothing after it is taken.</summary>
    private static async Task<string> ReadLineAsync(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(Timeouts.Quick);
        while (await socket.ReceiveAsync(one, SocketFlags.None, timeout.Token) == 1)
        {
            line.Append((char)one[0]);
            if (one[0] == '\n')
                break;
        }

        return line.ToString();
    }
}
