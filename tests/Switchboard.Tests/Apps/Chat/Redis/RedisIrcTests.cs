using System.Globalization;
using System.Text.RegularExpressions;
using Switchboard.Tests.Apps.Chat.Irc;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>
/// IRC across nodes: <c>serve chat --irc-port --hub</c> on two nodes sharing one Redis, raw IRC
/// clients over sockets beside line-protocol users, each on either node.
/// </summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed partial class RedisIrcTests
{
    [Fact]
    public async Task An_IRC_user_on_one_node_and_a_line_user_on_another_talk_both_ways_and_history_replays_with_server_time()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis);
        using var bob = await b.JoinAsync("bob");
        var before = DateTimeOffset.UtcNow;
        await bob.SendAsync("before you came");
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: bob", Timeouts.Quick);
        var after = DateTimeOffset.UtcNow;

        using var alice = await IrcUser.ConnectAsync(a.Irc);
        await alice.SendAsync("CAP LS 302", "NICK alice", "USER alice 0 * :Alice", "CAP REQ :server-time", "CAP END");
        await alice.ExpectAsync("^:switchboard 422 alice ");
        await alice.SendAsync("JOIN #lobby");
        await alice.NextIsAsync(":alice!alice@switchboard JOIN #lobby");
        await alice.NextIsAsync(":switchboard 353 alice = #lobby :alice bob");
        await alice.NextIsAsync(":switchboard 366 alice #lobby :End of /NAMES list");
        var replayed = ServerTimeTagged().Match((await alice.ReadLineAsync())!);
        Assert.True(replayed.Success, "bob's line from before, replayed with its time");
        Assert.Equal(":bob!bob@switchboard PRIVMSG #lobby :before you came", replayed.Groups["line"].Value);
        var said = DateTimeOffset.Parse(replayed.Groups["time"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(said, before.AddSeconds(-1), after.AddSeconds(1)); // Redis's clock, the same machine's
        await bob.ReadUntilAsync("*** alice joined #lobby (2 here)", Timeouts.Quick);

        await alice.SendAsync("PRIVMSG #lobby :hello from irc", "PRIVMSG #lobby :\u0001ACTION waves\u0001");
        await bob.ReadUntilAsync("<alice> hello from irc", Timeouts.Quick);
        Assert.Equal("* alice waves", (await bob.ReadUntilAsync(l => l.StartsWith('*'), "the action", Timeouts.Quick))[^1]);

        // Neither her talk nor her action comes back: her client shows them. Her node delivers the
        // room in its order, so bob's next line, said after both, is the next she reads.
        await bob.SendAsync("hello from a line user");
        await bob.SendAsync("/me grins");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG #lobby :hello from a line user");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG #lobby :\u0001ACTION grins\u0001");

        // Private messages both ways, and a NOTICE to no one is answered with nothing: the hub
        // answers her in order, so the WHOIS's answer is the next she reads.
        await alice.SendAsync("PRIVMSG bob :just us", "NOTICE nobody :x", "NOTICE #nowhere :x", "WHOIS nobody");
        await bob.ReadUntilAsync("*alice* just us", Timeouts.Quick);
        await alice.NextIsAsync(":switchboard 401 alice nobody :No such nick/channel");
        await alice.NextIsAsync(":switchboard 318 alice nobody :End of /WHOIS list");
        await bob.SendAsync("/msg alice and back");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG alice :and back");
    }

    [Fact]
    public async Task An_IRC_member_is_in_two_rooms_across_nodes_talks_only_where_it_is_and_parts_one_then_all()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis);
        using var bob = await b.JoinAsync("bob");
        using var carol = await b.JoinAsync("carol");
        await carol.SendAsync("/join den");
        await carol.ReadUntilAsync("*** carol joined #den (1 here)", Timeouts.Quick);
        using var alice = await IrcUser.RegisterAsync(a.Irc, "alice");

        await alice.SendAsync("JOIN #lobby,#den");
        await alice.NextIsAsync(":alice!alice@switchboard JOIN #lobby");
        await alice.NextIsAsync(":switchboard 353 alice = #lobby :alice bob");
        await alice.NextIsAsync(":switchboard 366 alice #lobby :End of /NAMES list");
        await alice.NextIsAsync(":alice!alice@switchboard JOIN #den");
        await alice.NextIsAsync(":switchboard 353 alice = #den :alice carol");
        await alice.NextIsAsync(":switchboard 366 alice #den :End of /NAMES list");
        await carol.ReadUntilAsync("*** alice joined #den (2 here)", Timeouts.Quick);

        // Each room hears what is said to it, and only that; a room she is not in refuses her.
        await alice.SendAsync("PRIVMSG #den :to the den", "PRIVMSG #lobby :to the lobby", "PRIVMSG #attic :to the attic", "NOTICE #attic :quietly");
        await carol.ReadUntilAsync("<alice> to the den", Timeouts.Quick);
        var bobRead = await bob.ReadUntilAsync("<alice> to the lobby", Timeouts.Quick);
        Assert.DoesNotContain("<alice> to the den", bobRead);
        Assert.Equal([":switchboard 442 alice #attic :You're not on that channel"], await alice.SyncAsync());
        await bob.SendAsync("lobby news");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG #lobby :lobby news");
        await carol.SendAsync("den news");
        await alice.NextIsAsync(":carol!carol@switchboard PRIVMSG #den :den news");

        await alice.SendAsync("WHO #den", "NAMES #lobby");
        Assert.Equal(
            [
                ":switchboard 352 alice #den alice switchboard switchboard alice H :0 alice",
                ":switchboard 352 alice #den carol switchboard switchboard carol H :0 carol",
                ":switchboard 315 alice #den :End of /WHO list",
                ":switchboard 353 alice = #lobby :alice bob",
                ":switchboard 366 alice #lobby :End of /NAMES list",
            ],
            await alice.SyncAsync());

        // dave, on her node, joins the den after her: her node hands a den event to her before him.
        using var dave = await IrcUser.RegisterAsync(a.Irc, "dave");
        await dave.SendAsync("JOIN #den");
        await dave.ExpectAsync("^:switchboard 366 dave #den ");
        await alice.NextIsAsync(":dave!dave@switchboard JOIN #den");

        // PART leaves one room, confirmed to her; the other keeps her.
        await alice.SendAsync("PART #den :off to lunch");
        await alice.NextIsAsync(":alice!alice@switchboard PART #den :off to lunch");
        await carol.ReadUntilAsync("*** alice left #den: off to lunch", Timeouts.Quick);
        await carol.SendAsync("after she left");
        await ReadUntilAsync(dave, ":carol!carol@switchboard PRIVMSG #den :after she left"); // her node has handled it
        await alice.SendAsync("PRIVMSG #den :still here?", "PRIVMSG #lobby :still in the lobby");
        await alice.NextIsAsync(":switchboard 442 alice #den :You're not on that channel");
        await bob.ReadUntilAsync("<alice> still in the lobby", Timeouts.Quick);
        await carol.SendAsync("/who");
        await carol.ReadUntilAsync("*** in #den: carol, dave", Timeouts.Quick);

        // JOIN 0 leaves every room.
        await alice.SendAsync("JOIN 0");
        await alice.NextIsAsync(":alice!alice@switchboard PART #lobby");
        await bob.ReadUntilAsync("*** alice left #lobby", Timeouts.Quick);
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: bob", Timeouts.Quick);
        Assert.DoesNotContain(alice.Seen, l => l.Contains("after she left", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_PART_amid_a_burst_comes_after_exactly_the_lines_said_before_it_in_the_rooms_order(bool cutSubscriptions)
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis);
        using var carol = await b.JoinAsync("carol");
        using var bob = await b.JoinAsync("bob");
        foreach (var user in new[] { carol, bob })
        {
            await user.SendAsync("/join den");
            await user.ReadUntilAsync(l => l.StartsWith($"*** {(user == carol ? "carol" : "bob")} joined #den", StringComparison.Ordinal), "the join", Timeouts.Quick);
        }

        using var alice = await IrcUser.RegisterAsync(a.Irc, "alice");
        using var dave = await IrcUser.RegisterAsync(a.Irc, "dave"); // stays, on alice's node
        foreach (var user in new[] { alice, dave })
        {
            await user.SendAsync("JOIN #den");
            await user.ExpectAsync("^:switchboard 366 \\w+ #den ");
        }

        string[] lines = [.. Enumerable.Range(0, 900).Select(i => $"m{i:D3}")];
        await carol.SendLinesAsync(lines);
        await alice.ExpectAsync("^:carol!carol@switchboard PRIVMSG #den :m010$");
        // Cut: what the channel would have brought her node before her part, it must fetch from the room's log.
        if (cutSubscriptions)
            await redis.CommandAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await alice.SendAsync("PART #den");

        // bob has the room's order: the lines before her part, then the part, then the rest.
        var order = await bob.ReadUntilAsync("<carol> m899", Timeouts.Patient);
        int parted = order.IndexOf("*** alice left #den");
        Assert.True(parted > 0, "bob saw alice leave");
        var before = order.Take(parted).Where(l => l.StartsWith("<carol> ", StringComparison.Ordinal)).Select(l => l["<carol> ".Length..]).ToList();

        // alice got exactly those (m000 to m010 read already), then her PART, then nothing of the room.
        await ReadUntilAsync(alice, ":alice!alice@switchboard PART #den");
        var heard = alice.Seen
            .Where(l => l.StartsWith(":carol!carol@switchboard PRIVMSG #den :", StringComparison.Ordinal))
            .Select(l => l[":carol!carol@switchboard PRIVMSG #den :".Length..]).ToList();
        Assert.Equal(before, heard);
        await ReadUntilAsync(dave, ":carol!carol@switchboard PRIVMSG #den :m899"); // her node has handled the whole burst
        Assert.DoesNotContain(await alice.SyncAsync(), l => l.Contains(" PRIVMSG #den ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_topic_set_on_one_node_is_told_everywhere_shown_on_a_join_on_another_and_goes_with_its_room()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var bob = await b.JoinAsync("bob");
        using var alice = await IrcUser.RegisterAsync(a.Irc, "alice");
        using var carol = await IrcUser.RegisterAsync(b.Irc, "carol");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 alice #lobby ");
        var before = DateTimeOffset.UtcNow;

        await alice.SendAsync("TOPIC #lobby :plans for today", "TOPIC #den :not in it");
        await alice.NextIsAsync(":alice!alice@switchboard TOPIC #lobby :plans for today");
        await alice.NextIsAsync(":switchboard 442 alice #den :You're not on that channel");
        await bob.ReadUntilAsync("*** alice set the topic of #lobby: plans for today", Timeouts.Quick);

        await carol.SendAsync("JOIN #lobby", "TOPIC #lobby");
        await carol.NextIsAsync(":carol!carol@switchboard JOIN #lobby");
        await carol.NextIsAsync(":switchboard 332 carol #lobby :plans for today");
        string setBy = await carol.ReadLineAsync() ?? "";
        var match = Regex.Match(setBy, @"^:switchboard 333 carol #lobby alice (\d+)$");
        Assert.True(match.Success, setBy);
        Assert.InRange(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), before.ToUnixTimeSeconds() - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        await carol.NextIsAsync(":switchboard 353 carol = #lobby :alice bob carol");
        await carol.ExpectAsync("^:switchboard 366 carol #lobby ");
        await carol.NextIsAsync(":switchboard 332 carol #lobby :plans for today");

        // Set from the other node, it reaches the first.
        await carol.SendAsync("TOPIC #lobby :changed plans");
        await carol.ExpectAsync("^:carol!carol@switchboard TOPIC #lobby :changed plans$");
        await alice.ExpectAsync("^:carol!carol@switchboard TOPIC #lobby :changed plans$");

        // A room's topic lasts while the room does: emptied, it is gone.
        await alice.SendAsync("JOIN #den", "TOPIC #den :den things", "PART #den");
        await alice.ExpectAsync("^:alice!alice@switchboard PART #den$");
        await carol.SendAsync("JOIN #den");
        await carol.NextIsAsync(":carol!carol@switchboard JOIN #den");
        await carol.NextIsAsync(":switchboard 353 carol = #den :carol"); // no 332: no topic
    }

    [Fact]
    public async Task Whois_and_away_reach_a_member_on_another_node()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var bob = await b.JoinAsync("bob");
        using var alice = await IrcUser.RegisterAsync(a.Irc, "alice");
        using var carol = await IrcUser.RegisterAsync(b.Irc, "carol");
        await alice.SendAsync("JOIN #lobby,#den", "AWAY :at lunch");
        await alice.ExpectAsync("^:switchboard 306 alice ");

        await carol.SendAsync("WHOIS ALICE", "WHOIS bob", "WHOIS nobody", "PRIVMSG alice :are you there?", "NOTICE alice :a notice is never answered");

        Assert.Equal(
            [
                ":switchboard 311 carol alice alice switchboard * :alice",
                ":switchboard 319 carol alice :#den #lobby",
                ":switchboard 312 carol alice switchboard :Switchboard",
                ":switchboard 301 carol alice :at lunch",
                ":switchboard 318 carol alice :End of /WHOIS list",
                ":switchboard 311 carol bob bob switchboard * :bob",
                ":switchboard 319 carol bob :#lobby",
                ":switchboard 312 carol bob switchboard :Switchboard",
                ":switchboard 318 carol bob :End of /WHOIS list",
                ":switchboard 401 carol nobody :No such nick/channel",
                ":switchboard 318 carol nobody :End of /WHOIS list",
                ":switchboard 301 carol alice :at lunch",
            ],
            await carol.SyncAsync());
        await alice.ExpectAsync("^:carol!carol@switchboard PRIVMSG alice :are you there\\?$");
        await alice.NextIsAsync(":carol!carol@switchboard NOTICE alice :a notice is never answered");
        await bob.SendAsync("/msg alice and from a line user?");
        await bob.ReadUntilAsync("*** alice is away: at lunch", Timeouts.Quick);

        await alice.SendAsync("AWAY");
        await alice.ExpectAsync("^:switchboard 305 alice ");
        await carol.SendAsync("PRIVMSG alice :back?", "WHOIS alice");
        var lines = await carol.SyncAsync();
        Assert.DoesNotContain(lines, l => l.Contains(" 301 ", StringComparison.Ordinal));
        Assert.Contains(":switchboard 318 carol alice :End of /WHOIS list", lines);
    }

    [Fact]
    public async Task A_rename_and_a_quit_reach_everyone_who_shares_a_room_on_every_node_once()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var bob = await b.JoinAsync("bob"); // in #lobby, on the other node
        using var carol = await a.JoinAsync("carol"); // in #den, on alice's node
        await carol.SendAsync("/join den");
        await carol.ReadUntilAsync("*** carol joined #den (1 here)", Timeouts.Quick);
        using var alice = await IrcUser.RegisterAsync(a.Irc, "alice");
        using var dave = await IrcUser.RegisterAsync(b.Irc, "dave"); // shares both rooms with her, on the other node
        using var erin = await IrcUser.RegisterAsync(a.Irc, "erin"); // shares both rooms with her, on her node
        foreach (var user in new[] { alice, dave, erin })
        {
            await user.SendAsync("JOIN #lobby,#den");
            await user.ExpectAsync("^:switchboard 366 \\w+ #den ");
        }

        await alice.SendAsync("NICK alicia");
        await alice.ExpectAsync("^:alice!alice@switchboard NICK :alicia$");
        // A line she says after: whoever has it has had every copy of the rename there was.
        await alice.SendAsync("PRIVMSG #den :renamed", "PRIVMSG #lobby :renamed");
        foreach (var user in new[] { dave, erin })
        {
            var seen = await ReadUntilAsync(user, ":alicia!alicia@switchboard PRIVMSG #den :renamed", ":alicia!alicia@switchboard PRIVMSG #lobby :renamed");
            Assert.Single(seen, ":alice!alice@switchboard NICK :alicia");
        }

        Assert.Single(await bob.ReadUntilAsync("<alicia> renamed", Timeouts.Quick), "*** alice is now known as alicia");
        Assert.Single(await carol.ReadUntilAsync("<alicia> renamed", Timeouts.Quick), "*** alice is now known as alicia");

        await alice.SendAsync("QUIT :bye all");
        await alice.ExpectAsync("^ERROR ");
        // Lines said after the quit, in each room, come after every copy of it.
        await bob.ReadUntilAsync("*** alicia quit: bye all", Timeouts.Quick);
        await carol.ReadUntilAsync("*** alicia quit: bye all", Timeouts.Quick);
        await bob.SendAsync("after the quit");
        await carol.SendAsync("after the quit too");
        foreach (var user in new[] { dave, erin })
        {
            var seen = await ReadUntilAsync(user, ":bob!bob@switchboard PRIVMSG #lobby :after the quit", ":carol!carol@switchboard PRIVMSG #den :after the quit too");
            Assert.Single(seen, ":alicia!alicia@switchboard QUIT :Quit: bye all");
        }

        await dave.SendAsync("WHOIS alicia", "NAMES #den");
        Assert.Equal(
            [
                ":switchboard 401 dave alicia :No such nick/channel",
                ":switchboard 318 dave alicia :End of /WHOIS list",
                ":switchboard 353 dave = #den :carol dave erin",
                ":switchboard 366 dave #den :End of /NAMES list",
            ],
            await dave.SyncAsync());
    }

    [Fact]
    public async Task With_echo_message_an_IRC_users_own_talk_comes_back_and_a_notice_stays_a_notice_across_nodes()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var bob = await b.JoinAsync("bob");
        using var carol = await IrcUser.RegisterAsync(b.Irc, "carol");
        using var alice = await IrcUser.ConnectAsync(a.Irc);
        await alice.SendAsync("CAP LS 302", "NICK alice", "USER alice 0 * :Alice", "CAP REQ :echo-message", "CAP END", "JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 alice #lobby ");
        await carol.SendAsync("JOIN #lobby");
        await carol.ExpectAsync("^:switchboard 366 carol #lobby ");

        await alice.SendAsync("PRIVMSG #lobby :said once", "NOTICE #lobby :heads up", "PRIVMSG carol :psst");
        // Her room's echoes come on the channel, in the room's order; her private one answers her
        // call: the two kinds may come in either order.
        var echoed = await ReadUntilAsync(alice,
            ":alice!alice@switchboard PRIVMSG #lobby :said once", ":alice!alice@switchboard NOTICE #lobby :heads up", ":alice!alice@switchboard PRIVMSG carol :psst");
        Assert.True(echoed.IndexOf(":alice!alice@switchboard PRIVMSG #lobby :said once") < echoed.IndexOf(":alice!alice@switchboard NOTICE #lobby :heads up"), string.Join(" | ", echoed));
        await carol.ExpectAsync("^:alice!alice@switchboard PRIVMSG #lobby :said once$");
        await carol.NextIsAsync(":alice!alice@switchboard NOTICE #lobby :heads up");
        await carol.NextIsAsync(":alice!alice@switchboard PRIVMSG carol :psst");
        await bob.ReadUntilAsync("<alice> said once", Timeouts.Quick);

        // Without it, carol's own talk does not come back to her: bob's line, said after hers and
        // delivered by her node in the room's order, is the next she reads.
        await carol.SendAsync("PRIVMSG #lobby :not echoed");
        await alice.NextIsAsync(":carol!carol@switchboard PRIVMSG #lobby :not echoed");
        await bob.ReadUntilAsync("<carol> not echoed", Timeouts.Quick);
        await bob.SendAsync("after carol");
        await carol.NextIsAsync(":bob!bob@switchboard PRIVMSG #lobby :after carol");
    }

    [Fact]
    public async Task A_killed_nodes_IRC_member_in_two_rooms_quits_once_for_everyone_and_leaves_both()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var bob = await b.JoinAsync("bob");
        using var alice = await IrcUser.RegisterAsync(a.Irc, "alice");
        using var dave = await IrcUser.RegisterAsync(b.Irc, "dave");
        foreach (var user in new[] { alice, dave })
        {
            await user.SendAsync("JOIN #lobby,#den");
            await user.ExpectAsync("^:switchboard 366 \\w+ #den ");
        }

        await a.KillAsync();

        // Heartbeat 1 s, dead after 6 s. A line said after the quit reaches dave after every copy of it.
        await bob.ReadUntilAsync("*** alice quit (connection lost)", Timeouts.Patient);
        await bob.SendAsync("after");
        var seen = await ReadUntilAsync(dave, ":bob!bob@switchboard PRIVMSG #lobby :after");
        Assert.Single(seen, ":alice!alice@switchboard QUIT :Connection lost");
        await dave.SendAsync("NAMES #lobby", "NAMES #den", "WHOIS alice");
        Assert.Equal(
            [
                ":switchboard 353 dave = #lobby :bob dave",
                ":switchboard 366 dave #lobby :End of /NAMES list",
                ":switchboard 353 dave = #den :dave",
                ":switchboard 366 dave #den :End of /NAMES list",
                ":switchboard 401 dave alice :No such nick/channel",
                ":switchboard 318 dave alice :End of /WHOIS list",
            ],
            await dave.SyncAsync());
    }

    [Fact]
    public async Task Redis_lost_mid_run_is_told_to_an_IRC_member_who_is_put_back_in_both_rooms_and_away_when_it_returns_empty()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis);
        using var bob = await b.JoinAsync("bob");
        using var carol = await b.JoinAsync("carol");
        await carol.SendAsync("/join den");
        await carol.ReadUntilAsync("*** carol joined #den (1 here)", Timeouts.Quick);
        using var alice = await IrcUser.RegisterAsync(a.Irc, "alice");
        await alice.SendAsync("JOIN #lobby,#den", "AWAY :at lunch");
        await alice.ExpectAsync("^:switchboard 306 alice ");

        await redis.StopAsync();
        await alice.ExpectAsync("^:switchboard NOTICE alice :\\*\\*\\* chat backplane unavailable; reconnecting$");
        // A line is refused, a notice is not answered, and an away message set meanwhile is kept for later.
        await alice.SendAsync("PRIVMSG #den :during", "NOTICE #den :during, quietly", "AWAY :back at three");
        var during = await alice.SyncAsync();
        Assert.Equal(2, during.Count);
        Assert.Equal(":switchboard NOTICE alice :! not sent: chat backplane unavailable", during[0]);
        Assert.StartsWith(":switchboard 306 alice ", during[1], StringComparison.Ordinal);

        // Restarted empty: the node puts her back, in both rooms, still away.
        await redis.RestartAsync();
        await alice.ExpectAsync("^:switchboard NOTICE alice :\\*\\*\\* chat backplane back$");
        await carol.ReadUntilAsync("*** chat backplane back", Timeouts.Patient);
        await carol.SendAsync("/who");
        await carol.ReadUntilAsync("*** in #den: alice, carol", Timeouts.Quick);
        await bob.ReadUntilAsync("*** chat backplane back", Timeouts.Patient);
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: alice, bob", Timeouts.Quick);
        await bob.SendAsync("/msg alice still out?");
        await bob.ReadUntilAsync("*** alice is away: back at three", Timeouts.Quick);

        await alice.SendAsync("PRIVMSG #den :after");
        await carol.ReadUntilAsync("<alice> after", Timeouts.Quick);
        Assert.DoesNotContain("<alice> during", carol.Seen);
        Assert.DoesNotContain(carol.Seen, l => l.Contains("quietly", StringComparison.Ordinal));
        Assert.DoesNotContain("<alice> after", bob.Seen);
    }

    [IiFact]
    public async Task Ii_on_one_node_and_a_line_user_on_another_talk_in_lobby()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis);
        using var bob = await b.JoinAsync("bob");

        using var alice = IiClient.Start(a.Irc, "alice");
        await alice.WaitForOutLineAsync(null, "Welcome to the Switchboard IRC network, alice");
        await alice.SendAsync(null, "/j #lobby");
        await bob.ReadUntilAsync("*** alice joined #lobby (2 here)", Timeouts.Quick);
        await alice.WaitForOutLineAsync(null, "= #lobby alice bob");

        await alice.SendAsync("#lobby", "hello bob");
        await bob.ReadUntilAsync("<alice> hello bob", Timeouts.Quick);
        await alice.SendAsync("#lobby", "/PRIVMSG #lobby :\u0001ACTION waves\u0001");
        await bob.ReadUntilAsync("* alice waves", Timeouts.Quick);
        await alice.SendAsync(null, "/j bob just between us");
        await bob.ReadUntilAsync("*alice* just between us", Timeouts.Quick);

        await bob.SendAsync("hi alice");
        await bob.SendAsync("/msg alice a secret");
        await bob.ReadUntilAsync("-> *alice* a secret", Timeouts.Quick);
        await alice.WaitForOutLineAsync("#lobby", "<bob> hi alice");
        await alice.WaitForOutLineAsync("bob", "<bob> a secret");

        await alice.SendAsync(null, "/n alice2");
        await bob.ReadUntilAsync("*** alice is now known as alice2", Timeouts.Quick);
        await alice.WaitForOutLineAsync(null, "-!- changed nick to \"alice2\"");

        await alice.SendAsync("#lobby", "/l");
        await bob.ReadUntilAsync("*** alice2 left #lobby: leaving", Timeouts.Quick);
        await alice.SendAsync(null, "/j #lobby");
        await bob.ReadUntilAsync("*** alice2 joined #lobby (2 here)", Timeouts.Quick);
        await alice.WaitForOutLineAsync("#lobby", "-!- alice2(alice2@switchboard) has joined #lobby");
        await alice.SendAsync(null, "/q");
        await bob.ReadUntilAsync("*** alice2 quit: bye", Timeouts.Quick);
        Assert.Equal(0, await alice.WaitForExitAsync());
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: bob", Timeouts.Quick);
    }

    [WeeChatFact]
    public async Task WeeChat_on_one_node_and_a_line_user_on_another_talk_in_lobby()
    {
        const string server = "irc.server." + WeeChatClient.ServerName;
        const string lobby = "irc." + WeeChatClient.ServerName + ".#lobby";
        const string bobQuery = "irc." + WeeChatClient.ServerName + ".bob";
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--irc-port", "0");
        using var b = await ChatNode.StartAsync(redis);
        using var bob = await b.JoinAsync("bob");
        await bob.SendAsync("before you came");

        using var wee = WeeChatClient.Start(a.Irc, "wee");
        await wee.WaitForLogLineAsync(server, "--", "Welcome to the Switchboard IRC network, wee");
        await wee.RunAsync(server, "/join #lobby");
        await bob.ReadUntilAsync("*** wee joined #lobby (2 here)", Timeouts.Quick);
        await wee.WaitForLogLineAsync(lobby, "--", "Nicks #lobby: [bob wee]");
        await wee.WaitForLogLineAsync(lobby, "bob", "before you came"); // history from the other node, dated by server-time

        await wee.RunAsync(lobby, "hello bob");
        await bob.ReadUntilAsync("<wee> hello bob", Timeouts.Quick);
        await wee.RunAsync(lobby, "/me waves");
        await bob.ReadUntilAsync("* wee waves", Timeouts.Quick);
        await wee.RunAsync(lobby, "/msg bob psst");
        await bob.ReadUntilAsync("*wee* psst", Timeouts.Quick);
        await bob.SendAsync("hi wee");
        await bob.SendAsync("/msg wee a secret");
        await wee.WaitForLogLineAsync(lobby, "bob", "hi wee");
        await wee.WaitForLogLineAsync(bobQuery, "bob", "a secret");

        await wee.RunAsync(server, "/nick weechat2");
        await bob.ReadUntilAsync("*** wee is now known as weechat2", Timeouts.Quick);
        await wee.WaitForLogLineAsync(lobby, "--", "You are now known as weechat2");
        await wee.RunAsync(lobby, "/topic #lobby new plans");
        await bob.ReadUntilAsync("*** weechat2 set the topic of #lobby: new plans", Timeouts.Quick);
        await wee.WaitForLogLineAsync(lobby, "--", "weechat2 has changed topic for #lobby to \"new plans\"");
        await wee.RunAsync(lobby, "/part #lobby bye");
        await bob.ReadUntilAsync("*** weechat2 left #lobby: bye", Timeouts.Quick);
        await wee.RunAsync(server, "/join #lobby");
        await bob.ReadUntilAsync("*** weechat2 joined #lobby (2 here)", Timeouts.Quick);
        await wee.RunAsync(server, "/quit bye");
        await bob.ReadUntilAsync("*** weechat2 quit: bye", Timeouts.Quick);
        Assert.Equal(0, await wee.WaitForExitAsync());
        foreach (string buffer in new[] { server, lobby, bobQuery })
            Assert.DoesNotContain(wee.LogLines(buffer), l => l.Prefix == "=!=");
    }

    /// <summary>Reads until every line of <paramref name="expected"/> has come, in any order (lines of different rooms); returns the lines read.</summary>
    private static async Task<List<string>> ReadUntilAsync(IrcUser user, params string[] expected)
    {
        var read = new List<string>();
        var missing = new HashSet<string>(expected);
        try
        {
            while (await user.ReadLineAsync() is { } line)
            {
                read.Add(line);
                if (missing.Remove(line) && missing.Count == 0)
                    return read;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no '{string.Join("', '", missing)}' in time; read: {string.Join(" | ", read)}");
        }

        Assert.Fail($"closed before '{string.Join("', '", missing)}'; read: {string.Join(" | ", read)}");
        return read;
    }

    [GeneratedRegex(@"^@time=(?<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?<line>.*)$")]
    private static partial Regex ServerTimeTagged();
}
