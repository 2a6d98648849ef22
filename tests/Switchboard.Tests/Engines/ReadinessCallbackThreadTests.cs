using Switchboard.Engines;
using Switchboard.Protocols;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// On the loop engines (readiness and uring) every callback of a connection runs on its loop's thread,
/// <c>OnDisconnected</c> included, even when another thread ends the connection.
/// </summary>
public sealed class ReadinessCallbackThreadTests
{
    public static TheoryData<string> Engines => ["select", "poll", "epoll", "uring"];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_close_from_another_thread_delivers_OnDisconnected_on_the_loop(string engine)
    {
        var protocol = new ThreadRecordingProtocol();
        await using var server = Start(engine, protocol);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var connection = await protocol.Connected.Task.WaitAsync(Timeouts.Quick);

        connection.Close(); // on this (test) thread, while the loop waits

        Assert.Equal(DisconnectReason.LocalClosed, await protocol.Disconnected.Task.WaitAsync(Timeouts.Quick));
        AssertAllOnOneThread(protocol, "OnConnected", "OnDisconnected");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task An_abort_from_another_thread_during_a_callback_delivers_OnDisconnected_on_the_loop(string engine)
    {
        // The callback waits for the other thread's Abort to return: the gate is busy throughout.
        var protocol = new ThreadRecordingProtocol
        {
            WhileReceiving = connection =>
            {
                var other = new Thread(connection.Abort);
                other.Start();
                Assert.True(other.Join(Timeouts.Quick));
            },
        };
        await using var server = Start(engine, protocol);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        await protocol.Connected.Task.WaitAsync(Timeouts.Quick);

        await client.SendAsync("x");

        Assert.Equal(DisconnectReason.Aborted, await protocol.Disconnected.Task.WaitAsync(Timeouts.Quick));
        AssertAllOnOneThread(protocol, "OnConnected", "OnReceived", "OnDisconnected");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_send_from_another_thread_that_finds_the_client_too_slow_delivers_OnDisconnected_on_the_loop(string engine)
    {
        var protocol = new ThreadRecordingProtocol();
        await using var server = Start(engine, protocol, new ServerOptions { MaxPendingBytes = 16 });
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var connection = await protocol.Connected.Task.WaitAsync(Timeouts.Quick);

        Assert.False(connection.Send(new byte[17])); // past the limit, from this thread

        Assert.Equal(DisconnectReason.SlowConsumer, await protocol.Disconnected.Task.WaitAsync(Timeouts.Quick));
        AssertAllOnOneThread(protocol, "OnConnected", "OnDisconnected");
    }

    private static Server Start(string engine, Protocol protocol, ServerOptions? options = null)
    {
        var server = new Server(EngineCatalog.Get(engine), options ?? new ServerOptions(), () => protocol);
        server.Start();
        return server;
    }

    private static void AssertAllOnOneThread(ThreadRecordingProtocol protocol, params string[] expected)
    {
        var calls = protocol.Calls;
        Assert.Equal(expected, calls.Select(c => c.Callback));
        Assert.All(calls, c => Assert.True(c.Thread == calls[0].Thread, $"{c.Callback} ran on thread {c.Thread}, OnConnected on {calls[0].Thread}"));
        Assert.NotEqual(Environment.CurrentManagedThreadId, calls[0].Thread);
    }
}
