using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>/who, /rooms and /msg see every node's members.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisDirectoryTests
{
    [Fact]
    public async Task Who_lists_the_members_of_every_node()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");
        using var bob = await b.JoinAsync("bob");

        await alice.SendAsync("/who");
        await alice.ReadUntilAsync("*** in #lobby: alice, bob", Timeouts.Quick);
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #lobby: alice, bob", Timeouts.Quick);
    }

    [Fact]
    public async Task A_members_own_notices_come_in_the_order_of_its_commands()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");

        // Each answer comes after the one before, though the room's notices also travel on the channel.
        await alice.SendLinesAsync(["/join den", "/who", "/nick alicia", "/who"]);
        var read = await alice.ReadUntilAsync("*** in #den: alicia", Timeouts.Quick);

        Assert.Equal(
            ["*** alice joined #den (1 here)", "*** in #den: alice", "*** alice is now known as alicia", "*** in #den: alicia"],
            read.Where(l => l.StartsWith("*** ", StringComparison.Ordinal)));
        Assert.Single(alice.Seen, "*** alice joined #den (1 here)");
    }

    [Fact]
    public async Task Rooms_lists_rooms_made_on_other_nodes()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");
        using var bob = await b.JoinAsync("bob");

        await bob.SendAsync("/join den");
        await bob.ReadUntilAsync("*** bob joined #den (1 here)", Timeouts.Quick);
        await alice.ReadUntilAsync("*** bob left #lobby", Timeouts.Quick);

        await alice.SendAsync("/rooms");
        await alice.ReadUntilAsync("*** rooms: #den (1), #lobby (1)", Timeouts.Quick);
        await bob.SendAsync("/who");
        await bob.ReadUntilAsync("*** in #den: bob", Timeouts.Quick);

        // The room is gone once its last member left, on every node.
        await bob.SendAsync("/join lobby");
        await alice.ReadUntilAsync("*** bob joined #lobby (2 here)", Timeouts.Quick);
        await alice.SendAsync("/rooms");
        await alice.ReadUntilAsync("*** rooms: #lobby (2)", Timeouts.Quick);
    }

    [Fact]
    public async Task Msg_reaches_a_member_on_another_node()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");
        using var bob = await b.JoinAsync("bob");

        await alice.SendAsync("/msg bob see you in #den");
        await bob.ReadUntilAsync("*alice* see you in #den", Timeouts.Quick);
        await alice.ReadUntilAsync("-> *bob* see you in #den", Timeouts.Quick); // told it went

        // Case aside, the name as written; the sender is told it as its holder spells it.
        await bob.SendAsync("/msg ALICE back at you");
        await alice.ReadUntilAsync("*bob* back at you", Timeouts.Quick);
        await bob.ReadUntilAsync("-> *alice* back at you", Timeouts.Quick);
    }

    [Fact]
    public async Task Msg_to_no_one_is_refused()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var alice = await a.JoinAsync("alice");
        using var bob = await b.JoinAsync("bob");

        await alice.SendAsync("/msg carol hello?");
        Assert.Equal("! no one is called carol", (await alice.ReadUntilAsync(l => l.StartsWith('!'), "an error", Timeouts.Quick))[^1]);

        // A look-alike of a member's name is not that member.
        await alice.SendAsync("/msg b0b hello?");
        Assert.Equal("! no one is called b0b", (await alice.ReadUntilAsync(l => l.StartsWith('!'), "an error", Timeouts.Quick))[^1]);
        await bob.SendAsync("/who");
        var read = await bob.ReadUntilAsync("*** in #lobby: alice, bob", Timeouts.Quick);
        Assert.DoesNotContain(read, l => l.Contains("hello?", StringComparison.Ordinal));
    }
}
