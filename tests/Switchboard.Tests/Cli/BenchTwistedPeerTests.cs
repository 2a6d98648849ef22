using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The chat reference peer, <c>bench/peers/twisted-chat.py</c>: the bench's refusals where it
/// cannot run, the bench measuring it with either chat client, and the server itself talked to
/// directly by two members. It runs on Debian's Python with Twisted (python3-twisted, which
/// test.sh installs).
/// </summary>
[Collection(NonParallel.Name)]
[SupportedOSPlatform("linux")] // the benchmark is Linux only
public sealed class BenchTwistedPeerTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    private static string Script => Path.Combine(Repository.Root, "bench", "peers", "twisted-chat.py");

    [Theory]
    [InlineData("echo", "", "switchboard-bench: the Twisted chat peer is a chat server: it runs chat, not echo")]
    [InlineData("time", "", "switchboard-bench: the Twisted chat peer is a chat server: it runs chat, not time")]
    [InlineData("chat", "--metrics", "switchboard-bench: the Twisted chat peer has no metrics endpoint: leave it out with --metrics")]
    [InlineData("chat", "--tls", "switchboard-bench: the Twisted chat peer has no TLS: leave it out with --tls")]
    public async Task The_twisted_peer_where_it_cannot_run_is_one_line_and_exit_code_2(string scenario, string flag, string message)
    {
        string[] flags = flag.Length > 0 ? [flag] : [];
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync([scenario, "--engines", "epoll,twisted", .. flags]);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal(message + "\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task An_echo_peer_asked_for_chat_still_says_it_is_an_echo_server()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync("chat", "--engines", "twisted,c-epoll");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal("switchboard-bench: the C epoll peer is an echo server: it runs echo, latency, connections and churn, not chat\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_twisted_path_with_no_file_is_one_line_and_exit_code_2()
    {
        string missing = Path.Combine(_out, "no-such-script.py");

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync("chat", "--engines", "twisted", "--twisted", missing);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"switchboard-bench: --twisted {missing}: no file there (give the peer's script, bench/peers/twisted-chat.py)\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Help_describes_the_twisted_peer_and_its_option()
    {
        var (code, stdout, _) = await CliProcess.RunBenchAsync("--help");

        Assert.Equal(0, code);
        string text = Regex.Replace(stdout, @"\s+", " "); // undo the help's line wrapping
        Assert.Contains("a chat server runs chat: 'twisted', a chat room on Python's Twisted (bench/peers/twisted-chat.py, its default epoll reactor), part of 'all' when its script and a Python 3 with Twisted are found (see --twisted), not with --tls", text, StringComparison.Ordinal);
        Assert.Contains("--twisted <path> The Twisted chat peer (twisted): its script, run by the first of /usr/bin/python3 and python3 on PATH that can import twisted", text, StringComparison.Ordinal);
        Assert.Contains("Not with --target or a reference peer (kestrel, c-epoll, twisted)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c")]
    [InlineData("dotnet")]
    public async Task The_bench_measures_the_twisted_peer_with_either_chat_client_and_every_line_is_delivered(string client)
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "chat", "--engines", "twisted", "--chat-client", client, "-c", "20", "-d", "1s", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "chat.json")));
        var settings = json.RootElement.GetProperty("Settings");
        Assert.Equal(client, settings.GetProperty("ChatClient").GetString());
        Assert.Equal(Script, settings.GetProperty("TwistedPath").GetString());
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Equal("twisted", result.GetProperty("Engine").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("Failure").ValueKind);
        Assert.False(result.GetProperty("Throttled").GetBoolean());
        var chat = result.GetProperty("Chat");
        long sent = chat.GetProperty("LinesSent").GetInt64();
        Assert.True(sent > 0, "no line was sent");
        Assert.Equal(sent * 19, chat.GetProperty("Expected").GetInt64()); // each line to the 19 others
        Assert.Equal(chat.GetProperty("Expected").GetInt64(), chat.GetProperty("Delivered").GetInt64()); // none lost
        Assert.Equal(chat.GetProperty("Delivered").GetInt64(), result.GetProperty("Messages").GetInt64());
        Assert.Equal(0, chat.GetProperty("RefusalLines").GetInt32());
        Assert.True(result.GetProperty("ServerCpuNanosPerMessage").GetDouble() > 0, "the server's CPU was not measured");
        Assert.StartsWith("twisted ", stdout.ReplaceLineEndings("\n").Split('\n')[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_twisted_server_names_members_relays_a_line_to_the_others_only_and_stops_on_sigterm()
    {
        using var server = CliProcess.StartTool("/usr/bin/python3", Script, "0");
        var (endPoint, line) = await server.ReadListeningLineAsync();
        Assert.Equal($"listening on 127.0.0.1:{endPoint.Port} (chat, twisted)", line);

        using var alice = await TestClient.ConnectAsync(endPoint);
        await alice.ReadUntilAsync("*** welcome", prefix: true);
        await alice.SendAsync("/nick alice\n");
        await alice.ReadUntilAsync("*** you are alice, in #lobby");

        using var bob = await TestClient.ConnectAsync(endPoint);
        await bob.ReadUntilAsync("*** welcome", prefix: true);
        await bob.SendAsync("/nick bob\r\n"); // a CRLF line end too
        await bob.ReadUntilAsync("*** you are bob, in #lobby");
        Assert.Equal("*** bob joined #lobby (2 here)", await alice.ReadLineAsync());

        // Alice's line reaches Bob; the next line Alice reads is Bob's answer, not her own line back.
        await alice.SendAsync("hello bob\n");
        Assert.Equal("<alice> hello bob", await bob.ReadLineAsync());
        await bob.SendAsync("hi alice\n");
        Assert.Equal("<bob> hi alice", await alice.ReadLineAsync());

        // A name taken, and talk before a name, are answered as Switchboard answers them.
        using var third = await TestClient.ConnectAsync(endPoint);
        await third.ReadUntilAsync("*** welcome", prefix: true);
        await third.SendAsync("anyone?\n/nick Alice\n");
        Assert.Equal("! choose a name first: /nick NAME", await third.ReadLineAsync());
        Assert.Equal("! the name Alice is taken", await third.ReadLineAsync());

        // Bob leaves: Alice is told.
        bob.Dispose();
        Assert.Equal("*** bob quit (connection closed)", await alice.ReadLineAsync());

        await server.StopGracefullyAsync();
        Assert.Equal("", server.Stderr);
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }
}
