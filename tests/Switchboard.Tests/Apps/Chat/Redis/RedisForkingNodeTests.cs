using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>
/// A forking server is one node, however many workers it runs: its parent holds the one
/// connection to Redis and relays to its workers, as it relays its own rooms without a hub.
/// </summary>
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

        // Two nodes in Redis, whatever the forking server's workers: not one per worker.
        Assert.Equal("2", await redis.CommandAsync("ZCARD", "switchboard:nodes"));
    }

    [Fact]
    public async Task A_killed_worker_s_member_quits_at_once_not_when_a_heartbeat_expires()
    {
        await using var redis = await RedisServer.StartAsync();
        using var forking = await ChatNode.StartAsync(redis, "--engine", "forking", "--workers", "2..2");
        using var plain = await ChatNode.StartAsync(redis);
        using var carol = await forking.JoinAsync("carol");
        using var bob = await plain.JoinAsync("bob");

        // kill -9 every worker (carol's among them): the parent, the node, sees its members' workers die.
        var workers = ProcessTree.ChildrenOf(forking.Process.Pid);
        Assert.NotEmpty(workers);
        foreach (int worker in workers)
            CliProcess.Signal(worker, 9);

        // Told by the parent as the worker dies, not by the reaping of a dead node ("connection lost").
        var read = await bob.ReadUntilAsync(l => l.Contains("carol quit", StringComparison.Ordinal), "carol's quit", Timeouts.Quick);
        Assert.Equal("*** carol quit (connection closed)", read[^1]);
        using var again = await forking.JoinAsync("dave");
        await bob.ReadUntilAsync("*** dave joined #lobby (2 here)", Timeouts.Patient);
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
