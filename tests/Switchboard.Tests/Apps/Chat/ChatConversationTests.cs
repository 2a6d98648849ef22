using System.Net;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>
/// Conversations over real sockets, the same on every engine that serves clients at once. Each
/// subclass says how a chat server starts (in this process, or the real executable for forking)
/// and which engines it covers.
/// </summary>
/// <typeparam name="TSelf">The subclass, which lists its engines.</typeparam>
public abstract class ChatConversationTests<TSelf> : IAsyncLifetime
    where TSelf : IChatEngines
{
    private readonly List<TestClient> _clients = [];

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000", Justification = "xUnit reads theory data from a static member of the class that declares the theory.")]
    public static TheoryData<string> Engines => new(TSelf.EngineNames);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        await StopAllAsync();
    }

    /// <summary>Starts a chat server on <paramref name="engine"/> at port 0.</summary>
    /// <param name="engine">The engine's name.</param>
    /// <param name="rate">Lines a second per connection (burst: twice that); null for the default.</param>
    /// <param name="maxPendingBytes">The slow-consumer limit; null for the default.</param>
    /// <param name="registerTimeout">Seconds to choose a name; null for the default.</param>
    protected abstract Task<ChatServer> StartAsync(string engine, int? rate = null, int? maxPendingBytes = null, double? registerTimeout = null);

    /// <summary>How many members a test that wants a full room may have (with a talker besides).</summary>
    protected virtual int RoomSize => 30;

    /// <summary>Stops every server this test started (at the end of each test).</summary>
    protected abstract Task StopAllAsync();

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Three_people_talk(string engine)
    {
        var server = await StartAsync(engine);
        var alice = await JoinAsync(server, "alice");
        var bob = await JoinAsync(server, "bob");
        await alice.ReadUntilAsync("*** bob joined #lobby (2 here)");

        await bob.SendAsync("hi alice\n");
        await alice.ReadUntilAsync("<bob> hi alice");
        await alice.SendAsync("/me waves\n/msg BOB psst\n/who\n");
        await bob.ReadUntilAsync("* alice waves");
        await bob.ReadUntilAsync("*alice* psst");
        Assert.Equal("* alice waves", await alice.ReadLineAsync()); // her action, as the room reads it
        Assert.Equal("-> *bob* psst", await alice.ReadLineAsync()); // her private message, sent
        Assert.Equal("*** in #lobby: alice, bob", await alice.ReadLineAsync());

        var carol = await JoinAsync(server, "carol");
        await alice.ReadUntilAsync("*** carol joined #lobby (3 here)");
        await bob.ReadUntilAsync("*** carol joined #lobby (3 here)");
        await carol.SendAsync("/nick caroline\n");
        await bob.ReadUntilAsync("*** carol is now known as caroline");
        await bob.SendAsync("/join den\n");
        await alice.ReadUntilAsync("*** bob left #lobby");
        await bob.ReadUntilAsync("*** bob joined #den (1 here)");
        await alice.SendAsync("/rooms\n");
        await alice.ReadUntilAsync("*** rooms: #den (1), #lobby (2)");
        await carol.SendAsync("/quit see you\n");
        await carol.ReadUntilAsync("*** bye");
        Assert.Null(await carol.ReadLineAsync());
        await alice.ReadUntilAsync("*** caroline quit: see you");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Newcomers_get_the_rooms_recent_lines(string engine)
    {
        var server = await StartAsync(engine);
        var alice = await JoinAsync(server, "alice");
        var said = DateTimeOffset.UtcNow;
        await alice.SendAsync("one\ntwo\n/who\n");
        await alice.ReadUntilAsync("*** in #lobby: alice"); // both lines were handled before /who

        var bob = await JoinAsync(server, "bob", expectJoined: false);

        await bob.ReadUntilAsync("*** the last 2 lines of #lobby (times UTC):");
        string one = await bob.ReadLineAsync() ?? "", two = await bob.ReadLineAsync() ?? "";
        var replayed = DateTimeOffset.UtcNow;
        Assert.Equal("<alice> one", ReplayedLine.Unwrap(one, said, replayed));
        Assert.Equal("<alice> two", ReplayedLine.Unwrap(two, said, replayed));
        Assert.Equal("*** bob joined #lobby (2 here)", await bob.ReadLineAsync());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Each_senders_lines_arrive_in_order_while_several_send_at_once(string engine)
    {
        const int Senders = 4;
        const int Lines = 50;
        var server = await StartAsync(engine, rate: 10_000);
        var listener = await JoinAsync(server, "listener");
        var senders = new List<TestClient>();
        for (int s = 0; s < Senders; s++)
        {
            senders.Add(await JoinAsync(server, $"s{s}"));
            await listener.ReadUntilAsync($"*** s{s} joined #lobby ({s + 2} here)");
        }

        await Task.WhenAll(senders.Select((c, s) => c.SendAsync(string.Concat(Enumerable.Range(0, Lines).Select(i => $"{s}:{i}\n")))));

        var next = new int[Senders];
        for (int received = 0; received < Senders * Lines;)
        {
            string? line = await listener.ReadLineAsync();
            Assert.NotNull(line);
            if (!line.StartsWith("<s", StringComparison.Ordinal))
                continue;
            string[] parts = line.Split(' ')[1].Split(':');
            int sender = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(next[sender]++, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            received++;
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_member_who_never_reads_is_dropped_as_too_slow_and_the_room_is_told(string engine)
    {
        var server = await StartAsync(engine, rate: 100_000, maxPendingBytes: 64 * 1024);
        var talker = await JoinAsync(server, "talker");
        var sleeper = await TestClient.ConnectAsync(server.EndPoint, receiveBufferSize: 4096);
        _clients.Add(sleeper);
        await sleeper.SendAsync("/nick sleeper\n");
        await talker.ReadUntilAsync("*** sleeper joined #lobby (2 here)");

        string line = new('x', 400);
        var dropped = talker.ReadUntilAsync("*** sleeper left (too slow)");
        while (!dropped.IsCompleted)
            await talker.SendAsync(string.Concat(Enumerable.Repeat(line + "\n", 50)));

        await dropped;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_mebibyte_without_a_newline_gets_errors_then_a_disconnect_and_no_one_else_notices(string engine)
    {
        var server = await StartAsync(engine);
        var alice = await JoinAsync(server, "alice");
        var mallory = await JoinAsync(server, "mallory");
        await alice.ReadUntilAsync("*** mallory joined #lobby (2 here)");

        var sending = mallory.SendAsync(new string('z', 1024 * 1024));

        // The goodbye itself may be lost to the reset that closing on unread input causes (the
        // StringTransport tests check it); what matters is the error, the close and the room.
        Assert.Equal("! line too long (max 512 bytes)", await mallory.ReadLineAsync());
        Assert.True(await mallory.WaitForCloseAsync());
        await alice.ReadUntilAsync("*** mallory quit (connection closed)");
        await alice.SendAsync("/who\n");
        Assert.Equal("*** in #lobby: alice", await alice.ReadLineAsync());
        try
        {
            await sending;
        }
        catch (System.Net.Sockets.SocketException)
        {
            // The server closed before reading it all: expected.
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Lines_sent_at_once_are_answered_in_order_and_quit_closes_after_the_last(string engine)
    {
        var server = await StartAsync(engine);
        using var client = await TestClient.ConnectAsync(server.EndPoint);
        await client.ReadUntilAsync("*** welcome", prefix: true);

        // Ten lines: within the default burst, so flood control stays out of it.
        await client.SendAsync("/who\n/me\n/msg zz hi\n/rooms\n/nick\n/nick qq\n/nick qq\n/rooms\n/who\n/quit bye now\n");

        string[] expected =
        [
            "! choose a name first: /nick NAME",
            "! usage: /me TEXT",
            "! choose a name first: /nick NAME",
            "*** rooms: #lobby (0)",
            "! usage: /nick NAME",
            "*** qq joined #lobby (1 here)",
            "*** you are qq, in #lobby",
            "! you are already qq",
            "*** rooms: #lobby (1)",
            "*** in #lobby: qq",
            "*** bye",
        ];
        string all = System.Text.Encoding.UTF8.GetString(await client.ReadToEndAsync());
        Assert.Equal(expected, all.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Server_shutdown_tells_everyone_before_closing(string engine)
    {
        var server = await StartAsync(engine);
        var alice = await JoinAsync(server, "alice");
        var bob = await JoinAsync(server, "bob");

        await server.StopAsync();

        await alice.ReadUntilAsync("*** the server is shutting down; goodbye");
        await bob.ReadUntilAsync("*** the server is shutting down; goodbye");
        Assert.Null(await bob.ReadLineAsync());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_paste_far_over_the_burst_is_paced_and_arrives_whole_and_in_order(string engine)
    {
        // 20 lines a second, a burst of 40: 60 lines at once (a paste, or what piled up while the
        // server was stalled) are more than the burst, fewer than the queue's 100.
        const int Lines = 60;
        var server = await StartAsync(engine, rate: 20);
        var listener = await JoinAsync(server, "listener");
        var paster = await JoinAsync(server, "paster");
        await listener.ReadUntilAsync("*** paster joined #lobby (2 here)");

        var started = System.Diagnostics.Stopwatch.StartNew();
        await paster.SendAsync(string.Concat(Enumerable.Range(0, Lines).Select(i => $"line {i}\n")) + "/who\n");

        for (int i = 0; i < Lines; i++)
            Assert.Equal($"<paster> line {i}", await listener.ReadLineAsync());
        Assert.Equal("*** in #lobby: listener, paster", await paster.ReadLineAsync()); // nothing else: no "! slow down"

        // Paced, not all at once: 21 lines past the 40 the bucket held take at least a second.
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(0.9), $"61 lines at 20/s (burst 40) handled in {started.Elapsed}");
        await listener.SendAsync("/who\n");
        Assert.Equal("*** in #lobby: listener, paster", await listener.ReadLineAsync());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Lines_waiting_their_turn_when_the_client_closes_are_said_and_a_quit_among_them_is_a_quit(string engine)
    {
        // One line a second (burst 2): the third line on waits its turn when the client closes.
        var server = await StartAsync(engine, rate: 1);
        var listener = await JoinAsync(server, "listener");
        var paster = await JoinAsync(server, "paster");
        await listener.ReadUntilAsync("*** paster joined #lobby (2 here)");

        await paster.SendAsync("one\ntwo\nthree\nfour\n/quit off now\n");
        paster.Dispose();

        foreach (string line in new[] { "<paster> one", "<paster> two", "<paster> three", "<paster> four", "*** paster quit: off now" })
            Assert.Equal(line, await listener.ReadLineAsync());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task More_lines_queued_than_the_limit_is_a_goodbye_and_the_room_is_told(string engine)
    {
        // One line a second (burst 2): of 150 lines at once, 2 are handled and 100 wait; the next overflows.
        var server = await StartAsync(engine, rate: 1);
        var alice = await JoinAsync(server, "alice");
        var mallory = await JoinAsync(server, "mallory");
        await alice.ReadUntilAsync("*** mallory joined #lobby (2 here)");

        await mallory.SendAsync(string.Concat(Enumerable.Range(0, 150).Select(i => $"flood {i}\n")));

        await mallory.ReadUntilAsync("! too many lines queued (max 100 lines); goodbye");
        Assert.True(await mallory.WaitForCloseAsync());
        await alice.ReadUntilAsync("*** mallory quit (connection closed)");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task An_action_cannot_pass_for_the_servers_notice(string engine)
    {
        var server = await StartAsync(engine);
        var alice = await JoinAsync(server, "alice");
        var the = await JoinAsync(server, "the");
        await alice.ReadUntilAsync("*** the joined #lobby (2 here)");

        await the.SendAsync("/me server is shutting down; goodbye\n");
        Assert.Equal("* the server is shutting down; goodbye", await alice.ReadLineAsync());
        await server.StopAsync();

        Assert.Equal("*** the server is shutting down; goodbye", await alice.ReadLineAsync());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_client_that_never_chooses_a_name_is_told_and_closed_after_the_register_timeout(string engine)
    {
        var server = await StartAsync(engine, registerTimeout: 1);
        var alice = await JoinAsync(server, "alice"); // connected first, so her deadline passes first
        using var lurker = await TestClient.ConnectAsync(server.EndPoint);
        await lurker.ReadUntilAsync("*** welcome", prefix: true);
        await lurker.SendAsync("/who\n");
        Assert.Equal("! choose a name first: /nick NAME", await lurker.ReadLineAsync());

        Assert.Equal("! too slow to choose a name; goodbye", await lurker.ReadLineAsync());
        Assert.True(await lurker.WaitForCloseAsync());

        // Alice, who chose a name in time, is still there.
        await alice.SendAsync("/who\n");
        Assert.Equal("*** in #lobby: alice", await alice.ReadLineAsync());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_line_said_during_shutdown_reaches_all_of_the_room_or_none_of_it(string engine)
    {
        int Members = RoomSize;
        var server = await StartAsync(engine, rate: 100_000);
        var members = new List<TestClient>();
        for (int m = 0; m < Members; m++)
            members.Add(await JoinAsync(server, $"m{m}"));
        var talker = await JoinAsync(server, "talker");
        foreach (var member in members)
            await member.ReadUntilAsync($"*** talker joined #lobby ({Members + 1} here)");

        // The talker talks until the server closes it (or it has said MaxLines); meanwhile the server
        // stops. The bound keeps what waits for the members who are not reading yet under the
        // server's pending-output limit (about 16 bytes a line), so that none of them is dropped as
        // too slow, and what is left to flush at shutdown well within the shutdown timeout: without
        // it, a fast talker filled the members' queues faster than 30 readers on 2 cores emptied
        // them, and a member was cut off before the goodbye.
        const int MaxLines = 20_000;
        using var stopTalking = new CancellationTokenSource();
        var talking = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < MaxLines && !stopTalking.IsCancellationRequested; i++)
                    await talker.SendAsync($"t{i}\n");
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Closed by the server: done.
            }
        });
        await members[0].ReadUntilAsync("<talker> t100");
        var stopping = server.StopAsync();

        var heard = await Task.WhenAll(members.Select(async member =>
        {
            string text = System.Text.Encoding.UTF8.GetString(await member.ReadToEndAsync());
            Assert.Contains("*** the server is shutting down; goodbye\n", text, StringComparison.Ordinal);
            // Past t100, which m0 has already read.
            return text.Split('\n').Where(l => l.StartsWith("<talker> t", StringComparison.Ordinal))
                .Select(l => int.Parse(l["<talker> t".Length..], System.Globalization.CultureInfo.InvariantCulture)).Where(i => i > 100).ToArray();
        }));
        await stopTalking.CancelAsync();
        await talking;
        await stopping;

        for (int m = 1; m < Members; m++)
            Assert.True(heard[0].SequenceEqual(heard[m]), $"m0 heard {heard[0].Length} lines, last t{heard[0].LastOrDefault()}; m{m} heard {heard[m].Length}, last t{heard[m].LastOrDefault()}");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Escape_sequences_and_invisible_characters_never_reach_anyone(string engine)
    {
        var server = await StartAsync(engine);
        var alice = await JoinAsync(server, "alice");
        var bob = await JoinAsync(server, "bob");
        await alice.ReadUntilAsync("*** bob joined #lobby (2 here)");

        string zalgo = "Z" + new string('\u0336', 30);
        await bob.SendAsync($"\u001b[31mred\u001b[0m \u202Eevil\u202C zero\u200Bwidth \u001b]0;title\u0007{zalgo}\n");
        await bob.SendAsync("/me \u2066waves\u2069\u2028\n");

        Assert.Equal("<bob> red evil zerowidth Z\u0336\u0336\u0336\u0336", await alice.ReadLineAsync());
        Assert.Equal("* bob waves", await alice.ReadLineAsync());
    }

    private async Task<TestClient> JoinAsync(ChatServer server, string nick, bool expectJoined = true)
    {
        var client = await TestClient.ConnectAsync(server.EndPoint);
        _clients.Add(client);
        await client.ReadUntilAsync("*** welcome", prefix: true);
        await client.SendAsync($"/nick {nick}\n");
        if (expectJoined)
            await client.ReadUntilAsync($"*** you are {nick}, in #lobby");
        return client;
    }

    /// <summary>A running chat server: where to connect, and how to stop it gracefully.</summary>
    protected sealed class ChatServer(IPEndPoint endPoint, Func<Task> stop)
    {
        public IPEndPoint EndPoint { get; } = endPoint;

        public Task StopAsync() => stop();
    }
}
