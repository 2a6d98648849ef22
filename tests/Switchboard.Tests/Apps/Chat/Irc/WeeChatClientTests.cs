using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>
/// The real IRC client WeeChat (headless) against <c>switchboard serve chat --irc-port</c>, beside
/// a line-protocol user: WeeChat registers with its own capability negotiation, the user sees its
/// join, talk, action, private message, rename, topic, part and quit in the line protocol's words,
/// and WeeChat's logs show the room's history, who is there, and the user's talk, action and
/// private message.
/// </summary>
public sealed class WeeChatClientTests
{
    private const string ServerBuffer = "irc.server." + WeeChatClient.ServerName;
    private const string Lobby = "irc." + WeeChatClient.ServerName + ".#lobby";
    private const string BobQuery = "irc." + WeeChatClient.ServerName + ".bob";

    [WeeChatFact]
    public async Task WeeChat_and_a_line_protocol_user_talk_in_lobby()
    {
        // The default pace: WeeChat sends its lines as fast as it is given commands, more than the
        // burst of 10, and closes straight after its QUIT; the lines still waiting their turn then,
        // the QUIT among them, are handled before it leaves.
        // bob has said "before you came": WeeChat is shown it as #lobby's history when it joins.
        var (started, connected, ircEndPoint) = await RealClientScene.StartAsync();
        using var server = started;
        using var bob = connected;

        using var wee = WeeChatClient.Start(ircEndPoint, "wee");
        // Registration, capability negotiation included: WeeChat takes the server-time it is offered.
        await wee.WaitForLogLineAsync(ServerBuffer, "--", "Welcome to the Switchboard IRC network, wee");
        await wee.WaitForLogLineAsync(ServerBuffer, "--", "irc: client capability, enabled: server-time");
        Assert.DoesNotContain(wee.LogLines(ServerBuffer), l => l.Prefix == "=!=");

        // /join: bob sees it; WeeChat shows who is there and, after that, the history, dated by server-time (not in the text).
        await wee.RunAsync(ServerBuffer, "/join #lobby");
        Assert.Equal("*** wee joined #lobby (2 here)", await bob.ReadLineAsync());
        await wee.WaitForLogLineAsync(Lobby, "-->", "wee (wee@switchboard) has joined #lobby");
        var names = await wee.WaitForLogLineAsync(Lobby, "--", "Nicks #lobby: [bob wee]");
        var early = await wee.WaitForLogLineAsync(Lobby, "bob", "before you came");
        List<WeeChatClient.LogLine> shown = [.. wee.LogLines(Lobby)];
        Assert.True(shown.IndexOf(names) < shown.IndexOf(early), $"the history came before the names:\n{string.Join('\n', shown)}");

        // Talk, an action and a private message: each the next line bob reads.
        await wee.RunAsync(Lobby, "hello bob");
        Assert.Equal("<wee> hello bob", await bob.ReadLineAsync());
        await wee.RunAsync(Lobby, "/me waves");
        Assert.Equal("* wee waves", await bob.ReadLineAsync());
        await wee.RunAsync(Lobby, "/msg bob psst");
        Assert.Equal("*wee* psst", await bob.ReadLineAsync());

        // bob's talk and action reach #lobby's log; his private message opens a private buffer, logged apart.
        await bob.SendAsync("hi wee\n/me grins\n/msg wee a secret\n");
        Assert.Equal("* bob grins", await bob.ReadLineAsync());
        Assert.Equal("-> *wee* a secret", await bob.ReadLineAsync());
        await wee.WaitForLogLineAsync(Lobby, "bob", "hi wee");
        await wee.WaitForLogLineAsync(Lobby, " *", "bob grins");
        await wee.WaitForLogLineAsync(BobQuery, "bob", "a secret");

        // A rename, which WeeChat takes as its own once the server's NICK confirms it.
        await wee.RunAsync(ServerBuffer, "/nick weechat2");
        Assert.Equal("*** wee is now known as weechat2", await bob.ReadLineAsync());
        await wee.WaitForLogLineAsync(Lobby, "--", "You are now known as weechat2");

        await wee.RunAsync(Lobby, "/topic #lobby new plans");
        Assert.Equal("*** weechat2 set the topic of #lobby: new plans", await bob.ReadLineAsync());
        await wee.WaitForLogLineAsync(Lobby, "--", "weechat2 has changed topic for #lobby to \"new plans\"");

        await wee.RunAsync(Lobby, "/part #lobby bye");
        Assert.Equal("*** weechat2 left #lobby: bye", await bob.ReadLineAsync());
        await bob.SendAsync("/who\n");
        Assert.Equal("*** in #lobby: bob", await bob.ReadLineAsync());

        // Back in, then /quit: a QUIT with WeeChat's reason, and WeeChat exits.
        await wee.RunAsync(ServerBuffer, "/join #lobby");
        Assert.Equal("*** weechat2 joined #lobby (2 here)", await bob.ReadLineAsync());
        await wee.WaitForLogLineAsync(Lobby, "-->", "weechat2 (weechat2@switchboard) has joined #lobby");
        await wee.RunAsync(ServerBuffer, "/quit bye");
        Assert.Equal("*** weechat2 quit: bye", await bob.ReadLineAsync());
        Assert.Equal(0, await wee.WaitForExitAsync());

        // Nothing WeeChat showed was an error.
        foreach (string buffer in new[] { ServerBuffer, Lobby, BobQuery })
            Assert.DoesNotContain(wee.LogLines(buffer), l => l.Prefix == "=!=");

        await bob.SendAsync("/who\n");
        Assert.Equal("*** in #lobby: bob", await bob.ReadLineAsync());
        await server.StopGracefullyAsync();
    }
}
