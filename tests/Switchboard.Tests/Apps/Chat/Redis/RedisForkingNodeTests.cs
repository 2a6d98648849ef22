using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>A forking server's processes are nodes like any other.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisForkingNodeTests
{
    [Fact]
    public async Task A_member_on_a_forking_node_and_one_on_an_async_node_talk_both_ways()
    {
        await using var redis = await RedisServer.StartAsync();
        using var forking = await ChatNode.StartAsync(redis, "--engine", "forking", "--workers", "2..2");
        using var plain = await ChatNode.StartAsync(redis);
        using var alice = await forking.JoinAsync("alice");
        using var bob = await plain.JoinAsync("bob");

        await alice.SendAsync("hi from forking");
        await bob.ReadUntilAsync("<alice> hi from forking", Timeouts.Quick);
        await bob.SendAsync("hi from async");
        await alice.ReadUntilAsync("<bob> hi from async", Timeouts.Quick);

        await alice.SendAsync("/msg bob psst");
        await bob.ReadUntilAsync("*alice* psst", Timeouts.Quick);
        await bob.SendAsync("/msg alice psst back");
        await alice.ReadUntilAsync("*bob* psst back", Timeouts.Quick);

        // A second member on the forking node (another worker, maybe) is in the same room.
        using var carol = await forking.JoinAsync("carol");
        await bob.ReadUntilAsync("*** carol joined #lobby (3 here)", Timeouts.Quick);
        await carol.SendAsync("/who");
        await carol.ReadUntilAsync("*** in #lobby: alice, bob, carol", Timeouts.Quick);
        await carol.SendAsync("me too");
        await alice.ReadUntilAsync("<carol> me too", Timeouts.Quick);
        await bob.ReadUntilAsync("<carol> me too", Timeouts.Quick);
    }

    [Fact]
    public async Task A_stopped_forking_nodes_members_quit_with_server_shutting_down()
    {
        await using var redis = await RedisServer.StartAsync();
        using var forking = await ChatNode.StartAsync(redis, "--engine", "forking", "--workers", "2..2");
        using var plain = await ChatNode.StartAsync(redis);
        using var carol = await forking.JoinAsync("carol");
        using var bob = await plain.JoinAsync("bob");

        await forking.Process.StopGracefullyAsync();

        var read = await bob.ReadUntilAsync(l => l.Contains("carol quit", StringComparison.Ordinal), "carol's quit", Timeouts.Quick);
        Assert.Equal("*** carol quit (server shutting down)", read[^1]);
        using var newCarol = await plain.JoinAsync("carol");
    }
}
