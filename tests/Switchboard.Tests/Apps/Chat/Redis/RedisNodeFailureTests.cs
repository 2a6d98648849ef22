using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>A node that dies or stops takes its members out of their rooms and frees their names.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisNodeFailureTests
{
    [Fact]
    public async Task A_killed_nodes_member_quits_with_connection_lost_and_its_name_is_free()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var carol = await a.JoinAsync("carol");
        using var bob = await b.JoinAsync("bob");

        await a.KillAsync();

        // Heartbeat 1 s, dead after 6 s: gone within 7 s.
        var read = await bob.ReadUntilAsync("*** carol quit (connection lost)", Timeouts.Quick);
        Assert.DoesNotContain(read, l => l.Contains("carol quit", StringComparison.Ordinal) && l != read[^1]);

        using var newCarol = await b.JoinAsync("carol");
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: bob, carol", Timeouts.Quick);
    }

    [Fact]
    public async Task A_stopped_nodes_member_quits_with_server_shutting_down()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var carol = await a.JoinAsync("carol");
        using var bob = await b.JoinAsync("bob");

        await a.Process.StopGracefullyAsync();

        var read = await bob.ReadUntilAsync(l => l.Contains("carol quit", StringComparison.Ordinal), "carol's quit", Timeouts.Quick);
        Assert.Equal("*** carol quit (server shutting down)", read[^1]);
        await carol.ReadUntilAsync("*** the server is shutting down; goodbye", Timeouts.Quick);

        // Her name is free at once, not when a heartbeat expires.
        using var newCarol = await b.JoinAsync("carol");
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: bob, carol", Timeouts.Quick);
    }

    [Fact]
    public async Task A_killed_nodes_member_leaves_a_room_other_than_the_lobby()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var carol = await a.JoinAsync("carol");
        using var bob = await b.JoinAsync("bob");
        await carol.SendAsync("/join den");
        await carol.ReadUntilAsync("*** carol joined #den (1 here)", Timeouts.Quick);
        await bob.SendAsync("/join den");
        await bob.ReadUntilAsync("*** bob joined #den (2 here)", Timeouts.Quick);

        await a.KillAsync();

        await bob.ReadUntilAsync("*** carol quit (connection lost)", Timeouts.Quick);
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #den: bob", Timeouts.Quick);
        await bob.SendAsync("/join lobby");
        await bob.ReadUntilAsync("*** bob joined #lobby (1 here)", Timeouts.Quick);
        await bob.SendAsync("/rooms");
        await bob.ReadUntilAsync("*** rooms: #lobby (1)", Timeouts.Quick);
    }
}
