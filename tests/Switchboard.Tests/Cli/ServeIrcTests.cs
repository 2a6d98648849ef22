using System.Net;
using Switchboard.Tests.Apps.Chat.Irc;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary><c>serve chat --irc-port</c>: both listeners from the real program, on every engine that can, and its refusals.</summary>
public sealed class ServeIrcTests
{
    public static TheoryData<string> Engines => new(["forking", "epoll", "threading"]);

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Both_listeners_share_the_rooms_and_an_IRC_client_may_send_before_its_welcome(string engine)
    {
        using var cli = CliProcess.Start("serve", "chat", "--port", "0", "--irc-port", "0", "--engine", engine, "--workers", "2..8");
        var (lines, first) = await cli.ReadListeningLineAsync();
        Assert.EndsWith($"(chat, {engine})", first, StringComparison.Ordinal);
        var irc = await cli.ReadIrcListeningLineAsync(engine);
        using var bob = await TestClient.ConnectAsync(lines);
        await bob.SendAsync("/nick bob\n");
        await bob.ReadUntilAsync("*** you are bob, in #lobby");
        using var alice = await IrcUser.ConnectAsync(irc);

        // All at once: on forking the hub is in the parent, and the JOIN may reach this worker before its welcome does.
        await alice.SendAsync("CAP LS 302", "NICK alice", "USER alice 0 * :A", "CAP REQ :echo-message", "CAP END", "JOIN #lobby", "PRIVMSG #lobby :hello line users");

        await alice.ExpectAsync("^:switchboard 001 alice ");
        await alice.ExpectAsync("^:alice!alice@switchboard JOIN #lobby$");
        await alice.NextIsAsync(":switchboard 353 alice = #lobby :alice bob");
        await alice.NextIsAsync(":switchboard 366 alice #lobby :End of /NAMES list");
        await alice.NextIsAsync(":alice!alice@switchboard PRIVMSG #lobby :hello line users"); // echo-message, through the parent on forking
        await bob.ReadUntilAsync("*** alice joined #lobby (2 here)");
        Assert.Equal("<alice> hello line users", await bob.ReadLineAsync());
        await bob.SendAsync("hello irc\n");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG #lobby :hello irc");
        await alice.SendAsync("NOTICE #elsewhere :x", "NOTICE nobody :x", "PRIVMSG nobody :y", "WHOIS a\u001fb");
        Assert.Equal(
            [
                ":switchboard 401 alice nobody :No such nick/channel",
                ":switchboard 401 alice a\u001fb :No such nick/channel",
                ":switchboard 318 alice a\u001fb :End of /WHOIS list",
            ],
            await alice.SyncAsync()); // notices unanswered; a malformed nick answered here, not passed on to break the channel

        await cli.StopGracefullyAsync();
        await alice.ExpectAsync("^ERROR :Closing link: the server is shutting down$");
        await bob.ReadUntilAsync("*** the server is shutting down; goodbye");
    }

    [Theory]
    [InlineData("chat", "iterative", "--irc-port: IRC needs an engine that serves many clients at once, not iterative")]
    [InlineData("echo", "epoll", "--irc-port: only the chat app speaks IRC (not echo)")]
    public async Task Where_IRC_cannot_be_served_it_is_one_line_and_exit_code_2(string app, string engine, string error)
    {
        string[] args = ["serve", app, "--port", "0", "--irc-port", "0", "--engine", engine];

        var (code, stdout, stderr) = await CliProcess.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"switchboard: {error}\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task An_IRC_port_in_use_is_one_line_naming_the_flag_and_exit_code_1()
    {
        using var taken = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        string port = ((IPEndPoint)taken.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "chat", "--port", "0", "--irc-port", port);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Matches($@"^switchboard: --irc-port: .*{port}.*\n$", stderr.ReplaceLineEndings("\n"));
    }
}
