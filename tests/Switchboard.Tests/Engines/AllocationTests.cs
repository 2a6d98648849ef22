using System.Net.Sockets;
using Switchboard.Apps;
using Switchboard.Engines;
using Switchboard.Protocols;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The echo path allocates nothing per message (docs/architecture.md: the hot path allocates nothing) on the
/// readiness engines, uring and async. Not yet on threading: its send pump costs about 130 bytes a message.
/// A line to 500 connections in one turn allocates nothing per delivery on every engine but
/// select, which allocates about 4 KB a round here: .NET's Socket.Select builds its descriptor
/// arrays on every call, 8 bytes a socket.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class AllocationTests
{
    private static readonly Dictionary<string, string> OneLoop = new() { ["loops"] = "1" };

    [Theory]
    [InlineData("select")]
    [InlineData("poll")]
    [InlineData("epoll")]
    [InlineData("uring")]
    [InlineData("async")]
    public async Task Echoing_allocates_nothing_per_message(string engine)
    {
        const int Messages = 20_000;
        await using var server = new Server(EngineCatalog.Get(engine).WithSettings(OneLoop), new ServerOptions(), () => new EchoProtocol());
        server.Start();
        using var client = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(server.LocalEndPoint);
        var message = new byte[32];
        var reply = new byte[32];
        RoundTrips(client, message, reply, Messages); // warm up: tiered JIT, pools, first segments

        // The count is the whole process's, so the test host's own work (reporting other tests,
        // say) can land in a window: take the quietest of three. An allocation per message would
        // show in all three, at least 20,000 × 24 bytes each.
        long allocated = Enumerable.Range(0, 3).Min(_ =>
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            RoundTrips(client, message, reply, Messages);
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        });

        Assert.True(allocated < 16 * 1024, $"{allocated} bytes allocated over {Messages} round trips");
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("epoll")]
    [InlineData("uring")]
    [InlineData("async")]
    [InlineData("threading")]
    public async Task A_line_to_many_connections_at_once_allocates_nothing_per_delivery(string engine)
    {
        // A line to every member, sent in one turn of the loop, as a chat room's is: each member's
        // output takes a pooled segment, more at once than the shared pool keeps. They must go
        // back for the next line, not be left for the collector.
        const int Members = 500;
        const int Rounds = 10;
        var room = new Room(Members);
        await using var server = new Server(EngineCatalog.Get(engine).WithSettings(OneLoop), new ServerOptions(), () => new BroadcastProtocol(room));
        server.Start();
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Members; i++)
            {
                var client = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Support.Timeouts.Quick.TotalMilliseconds };
                client.Connect(server.LocalEndPoint);
                clients.Add(client);
            }

            await room.Full.WaitAsync(Support.Timeouts.Quick);
            var line = new byte[BroadcastProtocol.Line.Length];
            Broadcast(clients, line, Rounds); // warm up

            long allocated = Enumerable.Range(0, 3).Min(_ =>
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                Broadcast(clients, line, Rounds);
                return GC.GetTotalAllocatedBytes(precise: true) - before;
            });

            Assert.True(allocated < 16 * 1024, $"{allocated} bytes allocated over {Rounds * Members} deliveries");
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    /// <summary>The first client says a line, and every client reads the line the server sends all of them.</summary>
    private static void Broadcast(List<Socket> clients, byte[] line, int rounds)
    {
        for (int round = 0; round < rounds; round++)
        {
            clients[0].Send("x\n"u8);
            foreach (var client in clients)
            {
                for (int got = 0; got < line.Length;)
                    got += client.Receive(line, got, line.Length - got, SocketFlags.None);
            }
        }
    }

    private static void RoundTrips(Socket client, byte[] message, byte[] reply, int count)
    {
        for (int i = 0; i < count; i++)
        {
            client.Send(message);
            for (int got = 0; got < reply.Length;)
                got += client.Receive(reply, got, reply.Length - got, SocketFlags.None);
        }
    }

    /// <summary>Every connection of the server, added as each connects; full at <paramref name="size"/>.</summary>
    private sealed class Room(int size)
    {
        private readonly List<IConnection> _members = [];
        private readonly TaskCompletionSource _full = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Full => _full.Task;

        public void Add(IConnection member)
        {
            lock (_members)
            {
                _members.Add(member);
                if (_members.Count == size)
                    _full.TrySetResult();
            }
        }

        public void SendToAll(ReadOnlySpan<byte> line)
        {
            lock (_members)
            {
                foreach (var member in _members)
                    member.Send(line);
            }
        }
    }

    /// <summary>Anything received sends <see cref="Line"/> to every member of the room, from the receiving loop.</summary>
    private sealed class BroadcastProtocol(Room room) : Protocol
    {
        public static ReadOnlySpan<byte> Line => "a line for all\n"u8;

        public override void OnConnected() => room.Add(Connection);

        public override void OnReceived(ReadOnlySpan<byte> data) => room.SendToAll(Line);
    }
}
