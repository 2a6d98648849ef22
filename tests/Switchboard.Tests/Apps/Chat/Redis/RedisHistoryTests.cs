using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>A room's history lives in Redis: every node replays the same last lines.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisHistoryTests
{
    /// <summary>When this test class was first used (its statics are made together): every line it says is later.</summary>
    private static readonly DateTimeOffset Began = DateTimeOffset.UtcNow;

    private static readonly string[] Said = [.. Enumerable.Range(1, 25).Select(i => $"line {i:D2}")];

    private static readonly string[] LastTwenty = [.. Said[5..].Select(l => "<alice> " + l)];

    [Fact]
    public async Task A_node_started_later_replays_the_last_lines_before_the_join_notice()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis, "--history", "20");
        using var b = await ChatNode.StartAsync(redis, "--history", "20");
        using var alice = await a.JoinAsync("alice");
        await SayAllAsync(alice);

        using var c = await ChatNode.StartAsync(redis, "--history", "20");
        Assert.Equal(LastTwenty, await ReplayedAsync(c, "carol"));

        // Kill the node the lines were said on and start another: the history is Redis's.
        await a.KillAsync();
        using var a2 = await ChatNode.StartAsync(redis, "--history", "20");
        Assert.Equal(LastTwenty, await ReplayedAsync(a2, "dave"));
        Assert.Equal(LastTwenty, await ReplayedAsync(b, "erin"));
    }

    [Fact]
    public async Task History_survives_a_restart_of_a_persistent_redis()
    {
        await using var redis = await RedisServer.StartAsync(persistent: true);
        using var a = await ChatNode.StartAsync(redis, "--history", "20");
        using var alice = await a.JoinAsync("alice");
        await SayAllAsync(alice);

        await redis.RestartAsync();
        await alice.ReadUntilAsync("*** chat backplane back");

        using var b = await ChatNode.StartAsync(redis, "--history", "20");
        Assert.Equal(LastTwenty, await ReplayedAsync(b, "bob"));
        Assert.Equal(LastTwenty, await ReplayedAsync(a, "carol"));
    }

    /// <summary>Says the 25 lines and waits until the hub has taken them all (it answers a member's lines in order).</summary>
    private static async Task SayAllAsync(Chatter alice)
    {
        await alice.SendLinesAsync([.. Said, "/who"]);
        var read = await alice.ReadUntilAsync(l => l.StartsWith("*** in #lobby:", StringComparison.Ordinal), "the /who answer", Timeouts.Quick);
        Assert.DoesNotContain(read, l => l.StartsWith('!'));
    }

    /// <summary>
    /// The history a newcomer is shown before the notice of its own join, each line unwrapped from
    /// its time stamp (which must lie within the test), after checking the header that announces it.
    /// </summary>
    private static async Task<List<string>> ReplayedAsync(ChatNode node, string nick)
    {
        using var newcomer = await node.ConnectAsync();
        await newcomer.SendAsync("/nick " + nick);
        var read = await newcomer.ReadUntilAsync(
            l => l.StartsWith($"*** {nick} joined #lobby", StringComparison.Ordinal), "its join notice", Timeouts.Quick);
        var replayed = read.Where(l => l.StartsWith('[')).ToList();
        Assert.Contains($"*** the last {replayed.Count} lines of #lobby (times UTC):", read);
        return [.. replayed.Select(l => ReplayedLine.Unwrap(l, Began, DateTimeOffset.UtcNow))];
    }
}
