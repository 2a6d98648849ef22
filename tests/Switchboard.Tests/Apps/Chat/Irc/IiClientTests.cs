using System.Text.RegularExpressions;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>
/// The real IRC client <c>ii</c> against <c>switchboard serve chat --irc-port</c>, beside a
/// line-protocol user: the user sees ii's join, talk, action, private messages, rename, part and
/// quit in the line protocol's words, and ii's files show the user's talk, private messages and the
/// room's history.
/// </summary>
public sealed partial class IiClientTests
{
    [IiFact]
    public async Task Ii_and_a_line_protocol_user_talk_in_lobby()
    {
        // bob has said "before you came": alice is shown it as #lobby's history when she joins.
        var (started, connected, ircEndPoint) = await RealClientScene.StartAsync();
        using var server = started;
        using var bob = connected;

        using var alice = IiClient.Start(ircEndPoint, "alice");
        await alice.WaitForOutLineAsync(null, "Welcome to the Switchboard IRC network, alice");

        // /j #lobby: a JOIN, seen by bob; ii is told who is there and the history.
        await alice.SendAsync(null, "/j #lobby");
        Assert.Equal("*** alice joined #lobby (2 here)", await bob.ReadLineAsync());
        await alice.WaitForOutLineAsync("#lobby", "-!- alice(alice@switchboard) has joined #lobby");
        await alice.WaitForOutLineAsync(null, "= #lobby alice bob");
        await alice.WaitForOutLineAsync("#lobby", ReplayedEarlyWords());

        // A line to the channel's FIFO is a PRIVMSG to it.
        await alice.SendAsync("#lobby", "hello bob");
        Assert.Equal("<alice> hello bob", await bob.ReadLineAsync());

        // ii has no /me: a raw CTCP ACTION, after '/', goes to the server as it is.
        await alice.SendAsync("#lobby", "/PRIVMSG #lobby :\u0001ACTION waves\u0001");
        Assert.Equal("* alice waves", await bob.ReadLineAsync());

        // /j NICK TEXT opens a query with NICK and sends TEXT: a private message.
        await alice.SendAsync(null, "/j bob just between us");
        Assert.Equal("*alice* just between us", await bob.ReadLineAsync());

        // bob's talk and private message reach ii's files: #lobby's out, and a query directory named for bob.
        await bob.SendAsync("hi alice\n/msg alice a secret\n");
        Assert.Equal("-> *alice* a secret", await bob.ReadLineAsync());
        await alice.WaitForOutLineAsync("#lobby", "<bob> hi alice");
        await alice.WaitForOutLineAsync("bob", "<bob> a secret");

        // /n: a rename, which ii takes as its own once the server's NICK confirms it.
        await alice.SendAsync(null, "/n alice2");
        Assert.Equal("*** alice is now known as alice2", await bob.ReadLineAsync());
        await alice.WaitForOutLineAsync(null, "-!- changed nick to \"alice2\"");
        await bob.SendAsync("/msg alice2 still there?\n");
        Assert.Equal("-> *alice2* still there?", await bob.ReadLineAsync());
        await alice.WaitForOutLineAsync("bob", "<bob> still there?");

        // /l in the channel's FIFO: a PART with ii's reason.
        await alice.SendAsync("#lobby", "/l");
        Assert.Equal("*** alice2 left #lobby: leaving", await bob.ReadLineAsync());
        await bob.SendAsync("/who\n");
        Assert.Equal("*** in #lobby: bob", await bob.ReadLineAsync());

        // Back in, then /q: a QUIT with ii's reason, and ii exits.
        await alice.SendAsync(null, "/j #lobby");
        Assert.Equal("*** alice2 joined #lobby (2 here)", await bob.ReadLineAsync());
        await alice.WaitForOutLineAsync("#lobby", "-!- alice2(alice2@switchboard) has joined #lobby");
        await alice.SendAsync(null, "/q");
        Assert.Equal("*** alice2 quit: bye", await bob.ReadLineAsync());
        Assert.Equal(0, await alice.WaitForExitAsync());

        await bob.SendAsync("/who\n");
        Assert.Equal("*** in #lobby: bob", await bob.ReadLineAsync());
        await server.StopGracefullyAsync();
    }


    /// <summary>bob's line from before alice joined, as ii shows the replay: the time it was said (UTC) before the text.</summary>
    [GeneratedRegex(@"^<bob> \[\d\d:\d\d\] before you came$")]
    private static partial Regex ReplayedEarlyWords();
}
