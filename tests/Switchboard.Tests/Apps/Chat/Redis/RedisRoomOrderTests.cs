using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>A room has one order, whichever node its members are on.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisRoomOrderTests
{
    private const int LinesEach = 200;

    [Fact]
    public async Task Two_senders_on_two_nodes_are_seen_in_one_order_on_every_node()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var c = await ChatNode.StartAsync(redis);
        using var ann = await a.JoinAsync("ann");
        using var ben = await b.JoinAsync("ben");
        using var wa = await a.JoinAsync("wa");
        using var wb = await b.JoinAsync("wb");
        using var wc = await c.JoinAsync("wc");

        // Both senders write at once, a line at a time, so their lines interleave in Redis.
        static async Task SendAll(Chatter who, string tag)
        {
            for (int i = 0; i < LinesEach; i++)
                await who.SendAsync($"{tag} {i:D3}");
        }

        await Task.WhenAll(Task.Run(() => SendAll(ann, "a")), Task.Run(() => SendAll(ben, "b")));

        static bool IsTalk(string l) => l.StartsWith("<ann> ", StringComparison.Ordinal) || l.StartsWith("<ben> ", StringComparison.Ordinal);
        var seenA = await wa.ReadMatchingAsync(IsTalk, 2 * LinesEach, "lines from ann or ben");
        var seenB = await wb.ReadMatchingAsync(IsTalk, 2 * LinesEach, "lines from ann or ben");
        var seenC = await wc.ReadMatchingAsync(IsTalk, 2 * LinesEach, "lines from ann or ben");

        // Each sender's lines in the order sent, none lost or repeated.
        Assert.Equal(Enumerable.Range(0, LinesEach).Select(i => $"<ann> a {i:D3}"), seenA.Where(l => l.StartsWith("<ann>", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, LinesEach).Select(i => $"<ben> b {i:D3}"), seenA.Where(l => l.StartsWith("<ben>", StringComparison.Ordinal)));
        // One order for the room, on every node.
        Assert.Equal(seenA, seenB);
        Assert.Equal(seenA, seenC);

        // Each sender sees the other's lines (and not its own), in that order.
        var annSees = await ann.ReadMatchingAsync(IsTalk, LinesEach, "lines from ben");
        var benSees = await ben.ReadMatchingAsync(IsTalk, LinesEach, "lines from ann");
        Assert.Equal(seenA.Where(l => l.StartsWith("<ben>", StringComparison.Ordinal)), annSees);
        Assert.Equal(seenA.Where(l => l.StartsWith("<ann>", StringComparison.Ordinal)), benSees);

        // Nothing more: a line after them comes next, so none of the 400 was repeated.
        await ann.SendAsync("done");
        foreach (var w in new[] { wa, wb, wc })
            Assert.Equal(["<ann> done"], await w.ReadUntilAsync(l => l.StartsWith('<'), "the next line", Timeouts.Quick));
        Assert.Equal(["<ann> done"], await ben.ReadUntilAsync(l => l.StartsWith('<'), "the next line", Timeouts.Quick));
    }

    [Fact]
    public async Task An_action_reaches_its_doer_once_in_the_rooms_order_and_talk_does_not()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var ann = await a.JoinAsync("ann");
        using var ben = await b.JoinAsync("ben");

        await ben.SendAsync("before");
        await ann.ReadUntilAsync("<ben> before", Timeouts.Quick);
        await ann.SendAsync("/me waves");
        await ann.SendAsync("hello");
        static bool IsRoomLine(string l) => l.StartsWith('<') || l.StartsWith("* ", StringComparison.Ordinal);
        Assert.Equal(["* ann waves", "<ann> hello"], await ben.ReadMatchingAsync(IsRoomLine, 2, "ann's action and line"));
        await ben.SendAsync("after");

        // Her action comes back to her, once; her own talk does not.
        Assert.Equal(["* ann waves", "<ben> after"], await ann.ReadMatchingAsync(IsRoomLine, 2, "her action, then ben's line"));
    }
}
