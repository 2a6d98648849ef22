using Switchboard.Tests.Apps.Chat.Irc;
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

    [Fact]
    public async Task An_IRC_member_of_a_forking_node_talks_in_two_rooms_and_quits_with_the_node_as_the_line_members_do()
    {
        await using var redis = await RedisServer.StartAsync();
        using var forking = await ChatNode.StartAsync(redis, "--engine", "forking", "--workers", "2..4", "--irc-port", "0");
        using var plain = await ChatNode.StartAsync(redis);
        using var bob = await plain.JoinAsync("bob");
        using var carol = await plain.JoinAsync("carol");
        await carol.SendAsync("/join den");
        await carol.ReadUntilAsync("*** carol joined #den (1 here)", Timeouts.Quick);
        using var alice = await IrcUser.RegisterAsync(forking.Irc, "alice");
        using var dave = await forking.JoinAsync("dave"); // a line-protocol member of the same node, in another worker

        // The IRC pool's worker reaches the parent's one node: two rooms, each hearing its own talk.
        await alice.SendAsync("JOIN #lobby,#den");
        await alice.ExpectAsync("^:switchboard 366 alice #den ");
        await carol.ReadUntilAsync("*** alice joined #den (2 here)", Timeouts.Quick);
        await alice.SendAsync("PRIVMSG #den :to the den", "PRIVMSG #lobby :to the lobby");
        await carol.ReadUntilAsync("<alice> to the den", Timeouts.Quick);
        await bob.ReadUntilAsync("<alice> to the lobby", Timeouts.Quick);
        await dave.ReadUntilAsync("<alice> to the lobby", Timeouts.Quick);
        await bob.SendAsync("lobby news");
        await alice.ExpectAsync("^:bob!bob@switchboard PRIVMSG #lobby :lobby news$");

        // Both pools' members leave with the node, the hub still there for the last of them.
        await forking.Process.StopGracefullyAsync();
        var read = await bob.ReadMatchingAsync(l => l.Contains(" quit (", StringComparison.Ordinal), 2, "alice's and dave's quits", Timeouts.Quick);
        Assert.Contains("*** alice quit (server shutting down)", read);
        Assert.Contains("*** dave quit (server shutting down)", read);
        using var again = await plain.JoinAsync("alice");
    }
}
