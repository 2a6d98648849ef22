using Switchboard.Apps.Chat;
using Switchboard.Apps.Chat.Irc;
using Switchboard.Apps.Chat.Redis;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>
/// The Redis hub in this process, against a real redis-server, with members whose delivery can
/// act inside the hub (as a connection dropped for being slow makes its member leave), so that
/// the races between members' calls, the feed and resyncs are met on purpose.
/// </summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisHubRaceTests
{
    [Fact]
    public async Task A_member_leaving_while_the_hub_tells_everyone_the_backplane_went_or_came_back_does_not_stop_the_others_being_told()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5);
        var members = new HubMember[5];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = new HubMember();
            hub.Nick(members[i], $"m{i}");
            await members[i].WaitForAsync(ChatEventKind.Registered);
        }

        // m0 is told first (the first named); telling it drops m1, then m2, as a send that finds
        // a slow consumer does, inline, on the hub's thread. (.NET's Dictionary lets an enumeration
        // go on past a removal, so the old loop over the live table passed this too: it guards the snapshot.)
        members[0].OnDeliver = e =>
        {
            if (e.Kind == ChatEventKind.BackplaneDown)
                hub.Leave(members[1], Farewell.Dropped);
            else if (e.Kind == ChatEventKind.BackplaneBack)
                hub.Leave(members[2], Farewell.Dropped);
        };

        await redis.StopAsync();
        foreach (var member in members.Where((_, i) => i != 1))
            await member.WaitForAsync(ChatEventKind.BackplaneDown);
        await redis.RestartAsync();
        foreach (var member in members.Where((_, i) => i is not (1 or 2)))
            await member.WaitForAsync(ChatEventKind.BackplaneBack, Timeouts.Patient);
        await members[1].Closed.WaitAsync(Timeouts.Quick);
        await members[2].Closed.WaitAsync(Timeouts.Quick);
    }

    [Fact]
    public async Task A_PART_under_way_while_the_node_resyncs_is_not_undone_by_it()
    {
        await using var redis = await RedisServer.StartAsync();
        var logs = new HookedLoggerFactory();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5, logs);
        var (alice, bob) = await AliceAndBobInDenAsync(hub);

        // The subscription comes back: in the same breath as the node asks for a resync, alice
        // parts, so her part's script runs while the resync is under way, before it lists her rooms.
        int parted = 0;
        logs.OnLog = (id, _) =>
        {
            if (id == 1103 && Interlocked.Exchange(ref parted, 1) == 0)
                hub.Part(alice, "den", "bye");
        };
        await redis.CommandAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await alice.WaitForAsync(e => e.Kind == ChatEventKind.Left && e.Nick == "alice", "her part", Timeouts.Patient);
        await bob.WaitForAsync(e => e.Kind == ChatEventKind.Left && e.Nick == "alice", "her part");

        // The resync that ran meanwhile did not put her back in Redis.
        Assert.Equal("bob", await redis.CommandAsync("HKEYS", "switchboard:room:den:members"));
        string node = await redis.CommandAsync("ZRANGE", "switchboard:nodes", "0", "-1");
        Assert.Equal("alice\u001f", await redis.CommandAsync("HGET", $"switchboard:node:{node}", ChatText.Skeleton("alice")));
    }

    [Fact]
    public async Task A_first_name_taken_while_the_node_resyncs_is_kept_and_its_member_can_talk()
    {
        await using var redis = await RedisServer.StartAsync();
        var logs = new HookedLoggerFactory();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5, logs);
        var bob = new HubMember();
        hub.Nick(bob, "bob");
        await bob.WaitForAsync(ChatEventKind.Registered);

        // zed names himself in the same breath as the node asks for a resync: his name's script
        // runs first, and its answer may reach him before or after the resync lists the members.
        var zed = new HubMember();
        var resynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int named = 0;
        logs.OnLog = (id, _) =>
        {
            if (id == 1103 && Interlocked.Exchange(ref named, 1) == 0)
                hub.Nick(zed, "zed");
            else if (id == 1114)
                resynced.TrySetResult();
        };
        await redis.CommandAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await zed.WaitForAsync(ChatEventKind.Registered, Timeouts.Patient);
        await resynced.Task.WaitAsync(Timeouts.Quick);

        hub.Say(zed, "still here");
        await bob.WaitForAsync(e => e.Kind == ChatEventKind.Talk && e.Text == "still here", "zed's line");
        Assert.StartsWith(await redis.CommandAsync("ZRANGE", "switchboard:nodes", "0", "-1") + "/", await redis.CommandAsync("GET", $"switchboard:nick:{ChatText.Skeleton("zed")}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_away_message_cleared_while_the_node_resyncs_does_not_come_back()
    {
        await using var redis = await RedisServer.StartAsync();
        var logs = new HookedLoggerFactory();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5, logs);
        var alice = new HubMember(manyRooms: true);
        hub.Nick(alice, "alice");
        await AfterCallsAsync(hub, alice, h => h.Away(alice, "at lunch"));

        // The resync lists her as away; she comes back before it writes that to Redis.
        int cleared = 0;
        hub.RegisterListed = () =>
        {
            if (Interlocked.Exchange(ref cleared, 1) == 0)
                hub.Away(alice, "");
        };
        int resyncs = 0;
        var twice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        logs.OnLog = (id, _) =>
        {
            if (id == 1114 && Interlocked.Increment(ref resyncs) == 2)
                twice.TrySetResult();
        };
        string node = await redis.CommandAsync("ZRANGE", "switchboard:nodes", "0", "-1");
        await redis.CommandAsync("ZREM", "switchboard:nodes", node); // the next beat resyncs

        // The node sees that her away message changed while it ran, and resyncs once more.
        Assert.True(await Task.WhenAny(twice.Task, Task.Delay(Timeouts.Quick)) == twice.Task,
            $"no second resync: her away message in Redis is still '{await redis.CommandAsync("HVALS", "switchboard:away")}'");
        Assert.Equal("0", await redis.CommandAsync("HLEN", "switchboard:away"));
    }

    [Fact]
    public async Task A_member_who_quits_while_the_node_resyncs_is_not_left_behind_in_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        var logs = new HookedLoggerFactory();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5, logs);
        var (alice, bob) = await AliceAndBobInDenAsync(hub);

        // The resync lists her in the den; she quits before it writes that to Redis, so it puts her back.
        int quit = 0;
        hub.RegisterListed = () =>
        {
            if (Interlocked.Exchange(ref quit, 1) == 0)
                hub.Leave(alice, Farewell.Quit, "bye");
        };
        int resyncs = 0;
        var twice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        logs.OnLog = (id, _) =>
        {
            if (id == 1114 && Interlocked.Increment(ref resyncs) == 2)
                twice.TrySetResult();
        };
        string node = await redis.CommandAsync("ZRANGE", "switchboard:nodes", "0", "-1");
        await redis.CommandAsync("ZREM", "switchboard:nodes", node); // the next beat resyncs
        await bob.WaitForAsync(e => e.Kind == ChatEventKind.Quit && e.Nick == "alice", "her quit");

        // The node sees that she changed while it ran, and resyncs once more: Redis forgets her.
        await twice.Task.WaitAsync(Timeouts.Quick);
        Assert.Equal(ChatText.Skeleton("bob"), await redis.CommandAsync("HKEYS", "switchboard:room:den:members"));
        Assert.Equal(ChatText.Skeleton("bob"), await redis.CommandAsync("HKEYS", $"switchboard:node:{node}"));
        Assert.Equal("(nil)", await redis.CommandAsync("GET", $"switchboard:nick:{ChatText.Skeleton("alice")}"));
        Assert.Single(bob.Events, e => e.Kind == ChatEventKind.Quit);
    }

    [Fact]
    public async Task A_resync_takes_out_of_Redis_a_member_of_this_node_that_the_node_no_longer_has()
    {
        await using var redis = await RedisServer.StartAsync();
        var logs = new HookedLoggerFactory();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5, logs);
        var alice = new HubMember(manyRooms: true);
        hub.Nick(alice, "alice");
        hub.Join(alice, "den");
        await alice.WaitForAsync(ChatEventKind.Joined);
        string node = await redis.CommandAsync("ZRANGE", "switchboard:nodes", "0", "-1");

        // What a leave or a rename that raced a resync leaves behind: Redis has a member on this
        // node, in a room, with a name and an away message, that the node no longer has.
        await redis.CommandAsync("HSET", $"switchboard:node:{node}", "ghost", "ghost\u001fden");
        await redis.CommandAsync("HSET", "switchboard:room:den:members", "ghost", "ghost");
        await redis.CommandAsync("SET", "switchboard:nick:ghost", $"{node}/99\u001fghost");
        await redis.CommandAsync("HSET", "switchboard:away", $"{node}/99", "gone");

        var resynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        logs.OnLog = (id, _) =>
        {
            if (id == 1114)
                resynced.TrySetResult();
        };
        await redis.CommandAsync("ZREM", "switchboard:nodes", node); // the next beat finds the node unknown: a resync
        await resynced.Task.WaitAsync(Timeouts.Quick);

        Assert.Equal(ChatText.Skeleton("alice"), await redis.CommandAsync("HKEYS", "switchboard:room:den:members"));
        Assert.Equal(ChatText.Skeleton("alice"), await redis.CommandAsync("HKEYS", $"switchboard:node:{node}"));
        Assert.Equal("(nil)", await redis.CommandAsync("GET", "switchboard:nick:ghost"));
        Assert.Equal("0", await redis.CommandAsync("HLEN", "switchboard:away"));
    }

    [Fact]
    public async Task An_IRC_JOIN_whose_names_or_topic_cannot_be_fetched_is_answered_empty_and_the_room_is_heard_from_then_on()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5);
        var bob = new HubMember(manyRooms: true);
        hub.Nick(bob, "bob");
        hub.Join(bob, "den");
        await bob.WaitForAsync(ChatEventKind.Joined);
        var connection = new RecordingConnection();
        var alice = new IrcMember(connection);
        hub.Nick(alice, "alice");
        await connection.WaitForAsync(":switchboard 001 alice :Welcome to the Switchboard IRC network, alice");

        // Her JOIN is done; the topic and the names it asks for next fail (the room table is not
        // a hash for a moment, as a fault of Redis would make them fail).
        connection.OnLine = line =>
        {
            if (line == ":alice!alice@switchboard JOIN #den")
            {
                redis.CommandAsync("RENAME", "switchboard:rooms", "switchboard:rooms-aside").GetAwaiter().GetResult();
                redis.CommandAsync("SET", "switchboard:rooms", "not a hash").GetAwaiter().GetResult();
            }
        };
        Join(hub, alice, "den");
        await connection.WaitForAsync(":switchboard 366 alice #den :End of /NAMES list");
        connection.OnLine = null;
        await redis.CommandAsync("RENAME", "switchboard:rooms-aside", "switchboard:rooms");

        // Answered in turn from then on, and what is said in the room reaches her.
        alice.Expect(IrcMember.ListRequest.Who);
        hub.ListWho(alice, "den");
        await connection.WaitForAsync(":switchboard 315 alice #den :End of /WHO list");
        alice.ExpectTopic(byJoin: false);
        hub.Topic(alice, "den");
        await connection.WaitForAsync(":switchboard 331 alice #den :No topic is set");
        hub.Say(bob, "are you there?", "den");
        await connection.WaitForAsync(":bob!bob@switchboard PRIVMSG #den :are you there?");
        Assert.Contains(":switchboard 352 alice #den alice switchboard switchboard alice H :0 alice", connection.Lines);
    }

    [Fact]
    public async Task An_away_message_is_stored_only_with_its_members_name_and_goes_when_they_leave_whatever_became_of_the_name()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5);
        var alice = new HubMember(manyRooms: true);
        var carol = new HubMember(manyRooms: true);
        hub.Nick(alice, "alice");
        hub.Nick(carol, "carol");
        await carol.WaitForAsync(ChatEventKind.Registered);
        await AfterCallsAsync(hub, alice, h => h.Away(alice, "at lunch"));
        string owner = await redis.CommandAsync("HKEYS", "switchboard:away");
        Assert.Equal("at lunch", await redis.CommandAsync("HGET", "switchboard:away", owner));

        // Her name went to someone else (Redis forgot it, another took it): leaving, she takes
        // her away message with her all the same.
        await redis.CommandAsync("SET", $"switchboard:nick:{ChatText.Skeleton("alice")}", "elsewhere/1\u001falice");
        hub.Leave(alice, Farewell.Quit);
        await alice.Closed.WaitAsync(Timeouts.Quick);
        Assert.Equal("0", await redis.CommandAsync("HLEN", "switchboard:away"));

        // carol's claim is gone (as after a reap): an away message set meanwhile waits for the
        // claim (a resync puts both back), and none is left behind when she leaves.
        await redis.CommandAsync("DEL", $"switchboard:nick:{ChatText.Skeleton("carol")}");
        await AfterCallsAsync(hub, carol, h => h.Away(carol, "in a meeting"));
        Assert.Equal("0", await redis.CommandAsync("HLEN", "switchboard:away"));
        hub.Leave(carol, Farewell.Quit);
        await carol.Closed.WaitAsync(Timeouts.Quick);
        Assert.Equal("0", await redis.CommandAsync("HLEN", "switchboard:away"));
    }

    [Fact]
    public async Task Quits_told_in_two_rooms_while_the_node_was_not_listening_are_heard_once_after_it_catches_up_room_by_room()
    {
        await using var redis = await RedisServer.StartAsync();
        var logs = new HookedLoggerFactory();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5, logs);
        var alice = new HubMember(manyRooms: true);
        hub.Nick(alice, "alice");
        hub.Join(alice, "attic");
        hub.Join(alice, "den");
        await alice.WaitForAsync(e => e.Kind == ChatEventKind.Joined && e.Room == "den", "her join of #den");

        // Forty members of a node that died, each in both rooms, reaped while this node heard
        // nothing: their quits are in the rooms' logs (two copies each, one shared id), not on the channel.
        const int quitters = 40;
        foreach (string room in new[] { "attic", "den" })
        {
            for (int i = 1; i <= quitters; i++)
            {
                string seq = await redis.CommandAsync("INCR", $"switchboard:room:{room}:seq");
                string quit = ChatEventCodec.ToText(new ChatEvent(ChatEventKind.Lost) { Nick = $"q{i}", Room = room });
                await redis.CommandAsync("XADD", $"switchboard:room:{room}:log", $"{seq}-0", "n", "0", "o", "", "e", quit, "x", $"{1000 + i}");
            }
        }

        var resynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        logs.OnLog = (id, _) =>
        {
            if (id == 1114)
                resynced.TrySetResult();
        };
        string node = await redis.CommandAsync("ZRANGE", "switchboard:nodes", "0", "-1");
        await redis.CommandAsync("ZREM", "switchboard:nodes", node); // the next beat resyncs, catching up each room from its log
        await resynced.Task.WaitAsync(Timeouts.Quick);

        var heard = alice.Events.Where(e => e.Kind == ChatEventKind.Lost).Select(e => e.Nick).ToList();
        Assert.Equal(Enumerable.Range(1, quitters).Select(i => $"q{i}"), heard);
    }

    [Fact]
    public async Task A_parting_member_whose_node_cannot_fetch_the_lines_before_the_part_is_told_how_many_were_missed()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5);
        var alice = new HubMember(manyRooms: true);
        hub.Nick(alice, "alice");
        hub.Join(alice, "den");
        await alice.WaitForAsync(ChatEventKind.Joined);

        // Three lines in the room that this node has not heard yet (in the room's log, not on the
        // channel), and the log cannot be read when her part needs it.
        for (int i = 1; i <= 3; i++)
        {
            string seq = await redis.CommandAsync("INCR", "switchboard:room:den:seq");
            string talk = await redis.CommandAsync("INCR", "switchboard:room:den:talk");
            string line = ChatEventCodec.ToText(new ChatEvent(ChatEventKind.Talk) { Nick = "bob", Room = "den", Text = $"line {i}" });
            await redis.CommandAsync("XADD", "switchboard:room:den:log", $"{seq}-0", "n", talk, "o", "", "e", line);
        }

        await redis.CommandAsync("ACL", "SETUSER", "default", "-xrange");
        hub.Part(alice, "den");
        await alice.WaitForAsync(e => e.Kind == ChatEventKind.Left && e.Nick == "alice", "her part");

        var told = alice.Events.SkipWhile(e => e.Kind != ChatEventKind.Joined).Skip(1).Select(e => (e.Kind, e.Room, e.Count)).ToList();
        Assert.Equal([(ChatEventKind.Missed, "den", 3), (ChatEventKind.Left, "den", 0)], told);
    }

    /// <summary>Names alice and bob (members of several rooms) and has both join #den, bob first, waiting until bob has seen both joins.</summary>
    private static async Task<(HubMember Alice, HubMember Bob)> AliceAndBobInDenAsync(RedisChatHub hub)
    {
        var alice = new HubMember(manyRooms: true);
        var bob = new HubMember(manyRooms: true);
        hub.Nick(alice, "alice");
        hub.Nick(bob, "bob");
        hub.Join(bob, "den");
        await bob.WaitForAsync(e => e.Kind == ChatEventKind.Joined && e.Nick == "bob", "bob's join");
        hub.Join(alice, "den");
        await bob.WaitForAsync(e => e.Kind == ChatEventKind.Joined && e.Nick == "alice", "alice's join");
        return (alice, bob);
    }

    /// <summary>Makes a member's call, and waits until it is done (a member's calls run in order: a reply to a later one says so).</summary>
    private static async Task AfterCallsAsync(RedisChatHub hub, HubMember member, Action<RedisChatHub> call)
    {
        string token = $"done {Guid.NewGuid():N}";
        call(hub);
        hub.Tell(member, token);
        await member.WaitForAsync(e => e.Kind == ChatEventKind.Reply && e.Text == token, token);
    }

    /// <summary>What the IRC protocol asks the hub for a <c>JOIN</c>: the join, the topic, then the names.</summary>
    private static void Join(RedisChatHub hub, IrcMember member, string room)
    {
        hub.Join(member, room);
        member.ExpectTopic(byJoin: true);
        hub.Topic(member, room);
        member.Expect(IrcMember.ListRequest.Names);
        hub.ListWho(member, room);
    }
}
