using Switchboard.Apps.Chat;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>Conversations over real sockets, the same on every engine that serves clients at once.</summary>
public sealed class ChatOverSocketsTests : IAsyncLifetime
{
    private readonly List<Server> _servers = [];
    private readonly List<TestClient> _clients = [];

    public static TheoryData<string> ConcurrentEngines => new(TestEngines.InProcess.Where(e => e.ServesConcurrently).Select(e => e.Name));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        foreach (var server in _servers)
            await server.StopAsync().WaitAsync(Timeouts.Patient);
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task Three_people_talk(string engine)
    {
        var server = Start(engine);
        var alice = await JoinAsync(server, "alice");
        var bob = await JoinAsync(server, "bob");
        await alice.ReadUntilAsync("* bob joined #lobby (2 here)");

        await bob.SendAsync("hi alice\n");
        await alice.ReadUntilAsync("<bob> hi alice");
        await alice.SendAsync("/me waves\n/msg bob psst\n/who\n");
        await bob.ReadUntilAsync("* alice waves");
        await bob.ReadUntilAsync("*alice* psst");
        await alice.ReadUntilAsync("* in #lobby: alice, bob");

        var carol = await JoinAsync(server, "carol");
        await alice.ReadUntilAsync("* carol joined #lobby (3 here)");
        await bob.ReadUntilAsync("* carol joined #lobby (3 here)");
        await carol.SendAsync("/nick caroline\n");
        await bob.ReadUntilAsync("* carol is now known as caroline");
        await bob.SendAsync("/join den\n");
        await alice.ReadUntilAsync("* bob left #lobby");
        await bob.ReadUntilAsync("* bob joined #den (1 here)");
        await alice.SendAsync("/rooms\n");
        await alice.ReadUntilAsync("* rooms: #den (1), #lobby (2)");
        await carol.SendAsync("/quit see you\n");
        await carol.ReadUntilAsync("* bye");
        Assert.Null(await carol.ReadLineAsync());
        await alice.ReadUntilAsync("* caroline quit (see you)");
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task Newcomers_get_the_rooms_recent_lines(string engine)
    {
        var server = Start(engine);
        var alice = await JoinAsync(server, "alice");
        await alice.SendAsync("one\ntwo\n/who\n");
        await alice.ReadUntilAsync("* in #lobby: alice"); // both lines were handled before /who

        var bob = await JoinAsync(server, "bob", expectJoined: false);

        await bob.ReadUntilAsync("<alice> one");
        await bob.ReadUntilAsync("<alice> two");
        await bob.ReadUntilAsync("* bob joined #lobby (2 here)");
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task Each_senders_lines_arrive_in_order_while_several_send_at_once(string engine)
    {
        const int Senders = 4;
        const int Lines = 50;
        var server = Start(engine, new ChatOptions { Rate = 10_000, Burst = 10_000 });
        var listener = await JoinAsync(server, "listener");
        var senders = new List<TestClient>();
        for (int s = 0; s < Senders; s++)
        {
            senders.Add(await JoinAsync(server, $"s{s}"));
            await listener.ReadUntilAsync($"* s{s} joined #lobby ({s + 2} here)");
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
    [MemberData(nameof(ConcurrentEngines))]
    public async Task A_member_who_never_reads_is_dropped_as_too_slow_and_the_room_is_told(string engine)
    {
        var server = Start(engine, new ChatOptions { Rate = 100_000, Burst = 100_000 }, new ServerOptions { MaxPendingBytes = 64 * 1024, MaxLineLength = 512 });
        var talker = await JoinAsync(server, "talker");
        var sleeper = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        _clients.Add(sleeper);
        await sleeper.SendAsync("/nick sleeper\n");
        await talker.ReadUntilAsync("* sleeper joined #lobby (2 here)");

        string line = new('x', 400);
        var dropped = talker.ReadUntilAsync("* sleeper left (too slow)");
        while (!dropped.IsCompleted)
            await talker.SendAsync(string.Concat(Enumerable.Repeat(line + "\n", 50)));

        await dropped;
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task A_mebibyte_without_a_newline_gets_an_error_and_no_one_else_notices(string engine)
    {
        var server = Start(engine);
        var alice = await JoinAsync(server, "alice");
        var mallory = await JoinAsync(server, "mallory");
        await alice.ReadUntilAsync("* mallory joined #lobby (2 here)");

        await mallory.SendAsync(new string('z', 1024 * 1024));
        await mallory.SendAsync("\nstill here\n");

        await mallory.ReadUntilAsync("! line too long (max 512 bytes)");
        await alice.ReadUntilAsync("<mallory> still here");
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task Server_shutdown_tells_everyone_before_closing(string engine)
    {
        var server = Start(engine);
        var alice = await JoinAsync(server, "alice");
        var bob = await JoinAsync(server, "bob");

        await server.StopAsync().WaitAsync(Timeouts.Patient);

        await alice.ReadUntilAsync("* the server is shutting down; goodbye");
        await bob.ReadUntilAsync("* the server is shutting down; goodbye");
        Assert.Null(await bob.ReadLineAsync());
    }

    [Fact]
    public async Task The_iterative_engine_serves_its_one_client()
    {
        var server = Start("iterative");
        var alice = await JoinAsync(server, "alice");

        await alice.SendAsync("/who\n");

        await alice.ReadUntilAsync("* in #lobby: alice");
    }

    private Server Start(string engine, ChatOptions? chat = null, ServerOptions? options = null)
    {
        var hub = new ChatHub();
        chat ??= new ChatOptions();
        var server = new Server(EngineCatalog.Get(engine), options ?? new ServerOptions { MaxLineLength = ChatOptions.DefaultMaxLineLength }, () => new ChatProtocol(hub, chat));
        server.Start();
        _servers.Add(server);
        return server;
    }

    private async Task<TestClient> JoinAsync(Server server, string nick, bool expectJoined = true)
    {
        var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        _clients.Add(client);
        await client.ReadUntilAsync("* welcome", prefix: true);
        await client.SendAsync($"/nick {nick}\n");
        if (expectJoined)
            await client.ReadUntilAsync($"* you are {nick}, in #lobby");
        return client;
    }
}
