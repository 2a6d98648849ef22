using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>Redis going away, its subscriptions cut or its clients paused: members are told, and no line is lost or repeated.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisOutageTests
{
    private const string Down = "*** chat backplane unavailable; reconnecting";
    private const string Back = "*** chat backplane back";

    /// <summary>The lines but the join notices (a member's own arrives after it is told its name, on the channel).</summary>
    private static List<string> WithoutJoins(List<string> lines) =>
        [.. lines.Where(l => !(l.StartsWith("*** ", StringComparison.Ordinal) && l.Contains(" joined #lobby (", StringComparison.Ordinal)))];

    [Fact]
    public async Task Redis_stopped_mid_run_is_told_refuses_talk_and_comes_back()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");
        using var bob = await b.JoinAsync("bob");
        await alice.SendAsync("before");
        await bob.ReadUntilAsync("<alice> before", Timeouts.Quick);

        await redis.StopAsync();
        await alice.ReadUntilAsync(Down, Timeouts.Quick);
        await bob.ReadUntilAsync(Down, Timeouts.Quick);

        await alice.SendAsync("during");
        Assert.Equal(["! not sent: chat backplane unavailable"], await alice.ReadUntilAsync(l => l.StartsWith('!'), "an error", Timeouts.Quick));

        await redis.RestartAsync();
        var aliceMeanwhile = await alice.ReadUntilAsync(Back);
        var bobMeanwhile = await bob.ReadUntilAsync(Back);
        Assert.DoesNotContain(Down, aliceMeanwhile);
        Assert.DoesNotContain(Down, bobMeanwhile);

        // Both nodes put their members back in the emptied Redis.
        await alice.SendAsync("/who");
        await alice.ReadUntilAsync("*** in #lobby: alice, bob", Timeouts.Quick);

        // The first lines of the room's new numbering (Redis restarted empty) reach everyone too.
        await alice.SendLinesAsync(["after 1", "after 2", "after 3"]);
        var read = await bob.ReadUntilAsync("<alice> after 3", Timeouts.Quick);
        Assert.Equal(["<alice> after 1", "<alice> after 2", "<alice> after 3"], read.Where(l => l.StartsWith('<')));
        await bob.SendAsync("and back");
        await alice.ReadUntilAsync("<bob> and back", Timeouts.Quick);

        // Told once each way; the refused line never arrived; nothing repeated.
        Assert.Single(alice.Seen, Down);
        Assert.Single(bob.Seen, Down);
        Assert.Single(alice.Seen, Back);
        Assert.Single(bob.Seen, Back);
        Assert.DoesNotContain("<alice> during", bob.Seen);
        Assert.Single(bob.Seen, "<alice> before");
        Assert.Single(bob.Seen, "<alice> after 1");
    }

    [Fact]
    public async Task Lines_said_while_the_subscription_is_cut_arrive_once_in_order()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");
        using var bob = await b.JoinAsync("bob");
        string[] lines = [.. Enumerable.Range(0, 100).Select(i => $"m{i:D3}")];

        await alice.SendLinesAsync(lines[..50]);
        var read = await bob.ReadUntilAsync("<alice> m049", Timeouts.Quick);

        // Cut every subscription, again and again, while alice goes on talking.
        for (int batch = 0; batch < 5; batch++)
        {
            string killed = await redis.CommandAsync("CLIENT", "KILL", "TYPE", "pubsub");
            Assert.True(int.TryParse(killed, out _), $"CLIENT KILL answered '{killed}'");
            await alice.SendLinesAsync(lines[(50 + (10 * batch))..(60 + (10 * batch))]);
        }

        read.AddRange(await bob.ReadUntilAsync("<alice> m099"));
        await alice.SendAsync("end");
        read.AddRange(await bob.ReadUntilAsync(l => l.StartsWith('<'), "the next line", Timeouts.Quick));

        Assert.Equal([.. lines.Select(l => "<alice> " + l), "<alice> end"], WithoutJoins(read));
    }

    [Fact]
    public async Task Lines_said_while_redis_is_paused_arrive_afterwards_once_in_order()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");
        using var bob = await b.JoinAsync("bob");
        string[] lines = [.. Enumerable.Range(0, 20).Select(i => $"p{i:D2}")];

        Assert.Equal("OK", await redis.CommandAsync("CLIENT", "PAUSE", "2000"));
        await alice.SendLinesAsync([.. lines, "/who"]);

        var aliceRead = await alice.ReadUntilAsync(l => l.StartsWith("*** in #lobby:", StringComparison.Ordinal), "the /who answer");
        Assert.Equal("*** in #lobby: alice, bob", aliceRead[^1]);
        Assert.DoesNotContain(aliceRead, l => l.StartsWith('!') || l.StartsWith("*** chat backplane", StringComparison.Ordinal));

        var read = await bob.ReadUntilAsync("<alice> p19");
        await alice.SendAsync("end");
        read.AddRange(await bob.ReadUntilAsync(l => l.StartsWith('<'), "the next line", Timeouts.Quick));
        Assert.Equal([.. lines.Select(l => "<alice> " + l), "<alice> end"], WithoutJoins(read));
    }

    [Fact]
    public async Task A_member_who_leaves_while_redis_is_away_is_gone_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        var carol = await a.JoinAsync("carol");
        using var bob = await b.JoinAsync("bob");

        await redis.StopAsync();
        await carol.ReadUntilAsync(Down, Timeouts.Quick);
        await bob.ReadUntilAsync(Down, Timeouts.Quick);
        carol.Dispose();

        // Redis restarted empty: node B puts bob back, node A does not put carol back.
        await redis.RestartAsync();
        await bob.ReadUntilAsync(Back);
        using var newCarol = await b.JoinAsync("carol");
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: bob, carol", Timeouts.Quick);
    }

    [Fact]
    public async Task A_member_who_leaves_while_a_persistent_redis_is_away_is_seen_to_quit_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync(persistent: true);
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        var carol = await a.JoinAsync("carol");
        using var dave = await a.JoinAsync("dave");
        using var bob = await b.JoinAsync("bob");

        await redis.StopAsync();
        await carol.ReadUntilAsync(Down, Timeouts.Quick);
        await dave.ReadUntilAsync(Down, Timeouts.Quick);
        await bob.ReadUntilAsync(Down, Timeouts.Quick);
        carol.Dispose();

        // Redis kept her: once it is back, her node takes her out and everyone is told, by name.
        await redis.RestartAsync();
        static bool IsQuit(string l) => l.StartsWith("*** ", StringComparison.Ordinal) && l.Contains(" quit", StringComparison.Ordinal);
        await dave.ReadUntilAsync(Back);
        if (!dave.Seen.Any(IsQuit))
            await dave.ReadUntilAsync(IsQuit, "a quit notice on carol's own node", Timeouts.Quick);
        Assert.Equal(["*** carol quit (connection closed)"], dave.Seen.Where(IsQuit));

        await bob.ReadUntilAsync(Back);
        if (!bob.Seen.Any(IsQuit))
            await bob.ReadUntilAsync(IsQuit, "a quit notice on another node", Timeouts.Quick);
        Assert.Equal(["*** carol quit (connection closed)"], bob.Seen.Where(IsQuit));

        using var newCarol = await b.JoinAsync("carol");
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: bob, carol, dave", Timeouts.Quick);
    }

    [Fact]
    public async Task Notices_said_while_the_subscription_is_cut_arrive_in_order()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        const int Leavers = 10;
        using var erin = await a.JoinAsync("erin");
        using var bob = await b.JoinAsync("bob");
        var leavers = new List<Chatter>();
        for (int i = 0; i < Leavers; i++)
            leavers.Add(await a.JoinAsync($"q{i}"));
        await bob.ReadUntilAsync($"*** q{Leavers - 1} joined #lobby ({Leavers + 2} here)", Timeouts.Quick);

        // Each member quits just as every subscription is cut.
        for (int i = 0; i < Leavers; i++)
        {
            string killed = await redis.CommandAsync("CLIENT", "KILL", "TYPE", "pubsub");
            Assert.True(int.TryParse(killed, out _), $"CLIENT KILL answered '{killed}'");
            await leavers[i].SendAsync($"said {i}");
            await leavers[i].SendAsync($"/quit bye {i}");
            Assert.True(await leavers[i].WaitForCloseAsync(), $"q{i} was not let go");
            leavers[i].Dispose();
        }

        await erin.SendAsync("after");
        var read = await bob.ReadUntilAsync("<erin> after");
        Assert.Equal(
            [.. Enumerable.Range(0, Leavers).SelectMany(i => (string[])[$"<q{i}> said {i}", $"*** q{i} quit: bye {i}"]), "<erin> after"],
            WithoutJoins(read));
    }
}
