using Switchboard.Apps;
using Switchboard.Protocols;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The contract's clauses about many clients at once, for engines that serve them. What an engine
/// does differently by design it declares (Twisted's reactor builders' way), and the clause checks
/// that instead: <see cref="ConcurrentClients"/>, <see cref="CountsConnectionsInThisProcess"/>.
/// </summary>
public abstract class ConcurrentEngineConformanceTests : EngineConformanceTests
{
    /// <summary>Clients the engine is asked to serve at once: 200, unless each costs a process.</summary>
    protected virtual int ConcurrentClients => 200;

    /// <summary>True if <see cref="Server.ConnectionCount"/> counts the connections (false where other processes serve them).</summary>
    protected virtual bool CountsConnectionsInThisProcess => true;

    /// <summary>
    /// True if all connections' queued output counts in one total (<see cref="ServerOptions.MaxPendingTotalBytes"/>);
    /// false where each worker process keeps its own (forking).
    /// </summary>
    protected virtual bool SharesOneOutputTotal => true;

    [Fact]
    public async Task Over_the_total_cap_the_connection_with_the_biggest_queue_is_dropped_first()
    {
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingTotalBytes = 350_000, MaxPendingSoftBytes = 0 });
        using var big = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long bigId = await ReadHelloAsync(big);
        using var small = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long smallId = await ReadHelloAsync(small);
        using var reader = await TestClient.ConnectAsync(server.LocalEndPoint);
        long readerId = await ReadHelloAsync(reader);

        await big.SendAsync("flood-to 300000\n");
        await Probe.WaitForFilledAsync(bigId);
        Assert.Equal(0, Probe.DisconnectCount(bigId)); // under the cap: kept

        // small's queue takes the total over 350,000 on its way to 100,000: big goes, small stays.
        await small.SendAsync("flood-to 100000\n");
        await Probe.WaitForFilledAsync(smallId);
        if (SharesOneOutputTotal)
            await Probe.WaitForDisconnectAsync(bigId, DisconnectReason.SlowConsumer);
        await reader.SendAsync("echo served\n");
        Assert.Equal("served", await reader.ReadLineAsync());

        Assert.Equal(0, Probe.DisconnectCount(smallId));
        Assert.Equal(0, Probe.DisconnectCount(readerId));
        if (!SharesOneOutputTotal)
            Assert.Equal(0, Probe.DisconnectCount(bigId)); // each worker's own total stays under the cap
    }

    [Fact]
    public async Task A_queue_under_the_soft_limit_stays_while_one_over_it_too_long_is_dropped()
    {
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingSoftBytes = 64 * 1024, MaxPendingSoftTime = TimeSpan.FromMilliseconds(300) });
        using var under = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long underId = await ReadHelloAsync(under);
        using var over = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long overId = await ReadHelloAsync(over);

        await under.SendAsync("flood-to 32768\n");
        Assert.InRange(await Probe.WaitForFilledAsync(underId), 32768, 64 * 1024);
        await over.SendAsync("flood-to 131072\n");
        await Probe.WaitForDisconnectAsync(overId, DisconnectReason.SlowConsumer);

        // under has had its queue for longer than the soft time, below the soft limit.
        Assert.Equal(0, Probe.DisconnectCount(underId));
    }

    [Fact]
    public async Task Serves_many_clients_at_once()
    {
        int count = ConcurrentClients;
        var server = Start(TestProtocol.Scripted);
        var clients = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => TestClient.ConnectAsync(server.LocalEndPoint)));
        try
        {
            await Task.WhenAll(clients.Select(c => ReadHelloAsync(c)));
            if (CountsConnectionsInThisProcess)
                Assert.Equal(count, server.ConnectionCount);

            var answers = await Task.WhenAll(clients.Select(async (c, i) =>
            {
                await c.SendAsync($"echo client {i}\n");
                return await c.ReadLineAsync();
            }));

            Assert.Equal(Enumerable.Range(0, count).Select(i => $"client {i}"), answers);
            // Every "connected" report is in (they travel separately from the greeting on some engines).
            await Probe.Events.WaitUntilAsync(e => e.Count(x => x.StartsWith("connected ", StringComparison.Ordinal)) == count, what: "every connect reported");
            Assert.Equal(count, Probe.MaxActiveConnections);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [Fact]
    public async Task A_client_over_max_connections_is_told_and_closed_while_others_are_served()
    {
        // On forking the client waits in the backlog first, for a worker to come free, and is
        // told once every worker has been busy for a moment (BacklogGuard.Grace).
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxConnections = 2 });
        using var first = await TestClient.ConnectAsync(server.LocalEndPoint);
        long firstId = await ReadHelloAsync(first);
        using var second = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(second);

        using var third = await TestClient.ConnectAsync(server.LocalEndPoint); // completes in the kernel's backlog
        Assert.Equal("error: server full (2 connections); try again later", await third.ReadLineAsync());
        Assert.Null(await third.ReadLineAsync());

        await second.SendAsync("echo served\n");
        Assert.Equal("served", await second.ReadLineAsync());

        first.Dispose();
        await Probe.WaitForDisconnectAsync(firstId, DisconnectReason.RemoteClosed);
        using var fourth = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(fourth);
    }

    [Fact]
    public async Task A_slow_consumer_does_not_hold_up_other_clients()
    {
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingBytes = 256 * 1024 });
        using var other = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(other);
        using var slow = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long slowId = await ReadHelloAsync(slow);

        await slow.SendAsync("flood\n");
        var dropped = Probe.WaitForDisconnectAsync(slowId, DisconnectReason.SlowConsumer);
        for (int i = 0; !dropped.IsCompleted || i < 5; i++)
        {
            await other.SendAsync($"echo {i}\n");
            Assert.Equal($"{i}", await other.ReadLineAsync());
        }

        await dropped;
    }

    [Fact]
    public async Task Graceful_shutdown_says_goodbye_to_every_client()
    {
        var server = Start(TestProtocol.Scripted);
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => TestClient.ConnectAsync(server.LocalEndPoint)));
        await Task.WhenAll(clients.Select(c => ReadHelloAsync(c)));

        await server.StopAsync().WaitAsync(Timeouts.Patient);

        foreach (var client in clients)
        {
            Assert.Equal("bye", await client.ReadLineAsync());
            Assert.Null(await client.ReadLineAsync());
            client.Dispose();
        }

        Assert.Equal(5, Probe.Events.Snapshot().Count(e => e.EndsWith(" ServerShutdown", StringComparison.Ordinal)));
    }
}
