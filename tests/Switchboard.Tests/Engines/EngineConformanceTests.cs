using System.Net.Sockets;
using System.Security.Cryptography;
using Switchboard.Apps;
using Switchboard.Engines;
using Switchboard.Protocols;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The contract (docs/architecture.md, "The contract"), checked over real loopback sockets, once
/// for every engine. Each engine runs it through a small subclass that names the engine and, where
/// it serves connections elsewhere than in this process, says how to build its server
/// (<see cref="CreateServer"/>; the forking engine's workers are real processes); engines that
/// serve many clients at once add <see cref="ConcurrentEngineConformanceTests"/>. Clauses read
/// what the server-side protocols saw from <see cref="Probe"/>, wherever they ran.
/// </summary>
public abstract class EngineConformanceTests : IAsyncLifetime
{
    private readonly List<Server> _servers = [];

    protected abstract string EngineName { get; }

    protected virtual Engine Engine => EngineCatalog.Get(EngineName);

    protected ServerProbe Probe { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
            await server.StopAsync().WaitAsync(Timeouts.Patient);
    }

    [Fact]
    public async Task Echo_returns_megabytes_of_random_data_intact_whatever_the_chunking()
    {
        var server = Start(TestProtocol.Echo, new ServerOptions { MaxPendingBytes = 16 * 1024 * 1024 });
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var data = new byte[(4 * 1024 * 1024) + 13];
        new Random(2026).NextBytes(data);
        int[] chunks = [1, 7, 1021, 4096, 65537, 3, 333, 12289];

        var sending = Task.Run(async () =>
        {
            for (int offset = 0, i = 0; offset < data.Length; i++)
            {
                int n = Math.Min(chunks[i % chunks.Length], data.Length - offset);
                await client.SendAsync(data.AsMemory(offset, n));
                offset += n;
            }
        });
        byte[] echoed = await client.ReadExactlyAsync(data.Length);
        await sending;

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(echoed));
    }

    [Fact]
    public async Task Callbacks_of_one_connection_never_overlap()
    {
        const int Messages = 300;
        var server = Start(TestProtocol.Overlap);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);

        for (int i = 0; i < Messages; i++)
            await client.SendAsync("ping"u8.ToArray());
        await Probe.ReceivedBytes.WaitUntilAsync(r => r.Sum() == Messages * 4, what: "all pings received");
        await client.ReadExactlyAsync(200); // the other thread's sends arrived

        // This read holds the gate while another thread aborts, until the abort has returned
        // (OverlapProtocol): an OnDisconnected let in then would count as an overlap first.
        await client.SendAsync("!"u8.ToArray());
        await Probe.Events.WaitUntilAsync(e => e.Any(x => x.StartsWith("disconnected ", StringComparison.Ordinal) && x.EndsWith(" Aborted", StringComparison.Ordinal)), what: "the abort");
        await server.StopAsync().WaitAsync(Timeouts.Patient);

        Assert.Equal(0, Probe.Overlaps);
    }

    [Fact]
    public async Task Send_works_from_another_thread_and_keeps_order()
    {
        var server = Start(TestProtocol.Scripted);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        await client.ReadLineAsync();

        await client.SendAsync("thread-send 1000\n");

        for (int i = 0; i < 1000; i++)
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), await client.ReadLineAsync());
    }

    [Fact]
    public async Task A_client_that_never_reads_is_disconnected_as_slow_and_memory_stays_bounded()
    {
        const long Limit = 256 * 1024;
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingBytes = Limit });
        using var slow = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long id = await ReadHelloAsync(slow);

        await slow.SendAsync("flood\n");
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.SlowConsumer);

        Assert.InRange(Probe.MaxPendingSeen, 1, Limit);
        using var next = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(next);
        await next.SendAsync("echo still serving\n");
        Assert.Equal("still serving", await next.ReadLineAsync());
    }

    [Fact]
    public async Task A_connection_that_takes_all_queued_output_over_the_total_cap_is_disconnected_as_slow()
    {
        const long Total = 128 * 1024;
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingTotalBytes = Total, MaxPendingSoftBytes = 0 });
        using var slow = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long id = await ReadHelloAsync(slow);

        await slow.SendAsync("flood\n");
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.SlowConsumer);

        // The per-connection limit (1 MiB) was never reached: the total's cap dropped it.
        Assert.InRange(Probe.MaxPendingSeen, 1, Total + ScriptedProtocol.FloodChunk);
        using var next = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(next);
        await next.SendAsync("echo still serving\n");
        Assert.Equal("still serving", await next.ReadLineAsync());
    }

    [Fact]
    public async Task A_queue_over_the_soft_limit_for_longer_than_the_soft_time_is_disconnected_as_slow()
    {
        var soft = TimeSpan.FromMilliseconds(400);
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingSoftBytes = 64 * 1024, MaxPendingSoftTime = soft });
        using var slow = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize: 4096);
        long id = await ReadHelloAsync(slow);

        var sinceAsked = System.Diagnostics.Stopwatch.StartNew(); // the queue passes the soft limit after this
        await slow.SendAsync("flood-to 131072\n");
        long pending = await Probe.WaitForFilledAsync(id);
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.SlowConsumer);

        Assert.InRange(pending, 131072, 1024 * 1024 - 1); // under the hard limit: the soft one dropped it
        Assert.True(sinceAsked.Elapsed >= soft, $"dropped after {sinceAsked.Elapsed.TotalMilliseconds} ms, before the soft limit's {soft.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task An_overlong_line_gets_an_error_and_a_close()
    {
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxLineLength = 100 });
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        await client.SendAsync("echo fine\n" + new string('x', 300) + "\necho never\n");

        Assert.Equal("fine", await client.ReadLineAsync());
        Assert.Equal("error: line too long (max 100 bytes)", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.LineTooLong);
    }

    [Fact]
    public async Task Close_flushes_pending_output_before_closing()
    {
        const int Size = 1_000_000;
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingBytes = 2 * Size });
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        await client.SendAsync($"send-close {Size}\n");

        Assert.Equal(ScriptedProtocol.Pattern(Size), await client.ReadToEndAsync());
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.LocalClosed);
    }

    [Fact]
    public async Task Timers_fire_in_order_of_due_time()
    {
        var server = Start(TestProtocol.Scripted);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(client);

        await client.SendAsync("timers\n");

        var fired = new List<(string Name, long Due)>();
        for (int i = 0; i < 5; i++)
        {
            string[] words = (await client.ReadLineAsync())!.Split(' ');
            fired.Add((words[0], long.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Equal(["t10", "t20", "t30", "t40", "t50"], fired.Select(f => f.Name).Order());
        Assert.Equal(fired.OrderBy(f => f.Due), fired); // each fired after every timer due before it
    }

    [Fact]
    public async Task Periodic_timers_stop_at_disconnect()
    {
        var server = Start(TestProtocol.Scripted);
        var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);
        await client.SendAsync("timer-thread\n");
        string? timerThread = await client.ReadLineAsync();
        await client.SendAsync("tick 5\n");
        for (int i = 0; i < 3; i++)
            Assert.Equal("tick", await client.ReadLineAsync());

        client.Dispose(); // with ticks still unread, the kernel may send a reset rather than a FIN: either ends it
        await Probe.Events.WaitUntilAsync(e => e.Any(x => x.StartsWith($"disconnected {id} ", StringComparison.Ordinal)), what: "the disconnect");

        // A stray tick would come due within 5 ms of now. Timers that share a thread share a queue
        // fired in due order (a loop's heap, or the server's timer thread), so a 10 ms timer
        // scheduled after now on that thread fires after it: once "t10" arrives, any stray tick has
        // run. Connections go to the loops (or forking's workers) in turn, so one of the next few
        // shares the thread.
        for (int attempt = 0; ; attempt++)
        {
            Assert.True(attempt < 64, "no connection had its timers on the ticking connection's thread");
            using var marker = await TestClient.ConnectAsync(server.LocalEndPoint);
            await ReadHelloAsync(marker);
            await marker.SendAsync("timer-thread\n");
            if (await marker.ReadLineAsync() != timerThread)
                continue;
            await marker.SendAsync("timers\n");
            Assert.StartsWith("t10 ", await marker.ReadLineAsync(), StringComparison.Ordinal);
            break;
        }

        Assert.Equal(0, Probe.LateTimerRuns);
    }

    [Theory]
    [InlineData("close", DisconnectReason.LocalClosed)]
    [InlineData("abort", DisconnectReason.Aborted)]
    [InlineData("throw", DisconnectReason.ProtocolError)]
    public async Task OnDisconnected_runs_once_with_the_reason_for_a_server_side_end(string command, DisconnectReason expected)
    {
        var server = Start(TestProtocol.Scripted);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        await client.SendAsync(command + "\n");

        Assert.True(await client.WaitForCloseAsync());
        await Probe.WaitForDisconnectAsync(id, expected);
        await server.StopAsync().WaitAsync(Timeouts.Patient);
        Assert.Equal(1, Probe.DisconnectCount(id));
    }

    [Fact]
    public async Task OnDisconnected_reports_a_remote_close()
    {
        var server = Start(TestProtocol.Scripted);
        var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        client.Dispose();

        await Probe.WaitForDisconnectAsync(id, DisconnectReason.RemoteClosed);
        await server.StopAsync().WaitAsync(Timeouts.Patient);
        Assert.Equal(1, Probe.DisconnectCount(id));
    }

    [Fact]
    public async Task OnDisconnected_reports_a_reset_as_an_error()
    {
        var server = Start(TestProtocol.Scripted);
        var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        client.Reset();

        await Probe.WaitForDisconnectAsync(id, DisconnectReason.Error);
        await server.StopAsync().WaitAsync(Timeouts.Patient);
        Assert.Equal(1, Probe.DisconnectCount(id));
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout()
    {
        var server = Start(TestProtocol.Scripted, new ServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        // A clean end of stream on every engine, not a reset (which would throw here).
        Assert.Empty(await client.ReadToEndAsync(Timeouts.Quick));
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.IdleTimeout);
    }

    [Fact]
    public async Task A_line_protocol_client_trickling_a_partial_line_is_still_closed_as_idle()
    {
        // Slowloris: a byte every 200 ms, never a line end. For a line protocol a partial line is
        // not activity, so the trickle cannot keep the connection past the idle timeout.
        var server = Start(TestProtocol.Scripted, new ServerOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await client.Socket.SendAsync("x"u8.ToArray(), SocketFlags.None, stop.Token);
                    await Task.Delay(200, stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped, or the server closed the connection: either ends the trickle.
            }
        });

        try
        {
            // Closed as idle while the trickle still runs (a timer every byte resets never fires).
            await Probe.WaitForDisconnectAsync(id, DisconnectReason.IdleTimeout, TimeSpan.FromSeconds(6));
            Assert.True(await client.WaitForCloseAsync(), "the trickling client's socket was not closed");
        }
        finally
        {
            await stop.CancelAsync();
            await trickle;
        }
    }

    [Fact]
    public async Task Graceful_shutdown_lets_protocols_say_goodbye_then_closes_and_stops_listening()
    {
        var server = Start(TestProtocol.Scripted);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);
        var endPoint = server.LocalEndPoint;

        await server.StopAsync().WaitAsync(Timeouts.Patient);

        Assert.Equal("bye", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        Assert.Equal(1, Probe.DisconnectCount(id));
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.ServerShutdown);
        await Assert.ThrowsAnyAsync<SocketException>(() => TestClient.ConnectAsync(endPoint));
    }

    [Fact]
    public async Task A_half_closed_client_still_gets_its_reply()
    {
        var server = Start(TestProtocol.Scripted);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(client);

        await client.SendAsync("echo before my FIN\n");
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal("before my FIN", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        await Probe.WaitForDisconnectAsync(id, DisconnectReason.RemoteClosed);
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_a_flood_ends_only_that_connection()
    {
        // Room for seconds of flood, so that the reset, not the pending limit, ends the connection.
        var server = Start(TestProtocol.Scripted, new ServerOptions { MaxPendingBytes = 64 * 1024 * 1024 });
        var flooded = await TestClient.ConnectAsync(server.LocalEndPoint);
        long id = await ReadHelloAsync(flooded);
        await flooded.SendAsync("flood\n");
        await flooded.ReadExactlyAsync(100_000);

        flooded.Reset();

        await Probe.WaitForDisconnectAsync(id, DisconnectReason.Error);
        using var next = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(next);
        await next.SendAsync("echo unharmed\n");
        Assert.Equal("unharmed", await next.ReadLineAsync());
    }

    [Fact]
    public async Task A_burst_of_connects_and_immediate_closes_harms_no_one()
    {
        var server = Start(TestProtocol.Scripted);
        for (int batch = 0; batch < 10; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
            {
                using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
            }));
        }

        await Probe.Events.WaitUntilAsync(e => e.Count(x => x.StartsWith("disconnected", StringComparison.Ordinal)) == 1000, Timeouts.Patient, "1000 disconnects");
        using var next = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(next);
        await next.SendAsync("echo still fine\n");
        Assert.Equal("still fine", await next.ReadLineAsync());
    }

    /// <summary>Starts a server of <see cref="Engine"/> serving <paramref name="protocol"/>; it is stopped after the test.</summary>
    protected Server Start(TestProtocol protocol, ServerOptions? options = null)
    {
        var server = CreateServer(protocol, options ?? new ServerOptions());
        server.Start();
        _servers.Add(server);
        return server;
    }

    /// <summary>The server builder: by default, the protocols run in this process and report to <see cref="Probe"/> directly.</summary>
    protected virtual Server CreateServer(TestProtocol protocol, ServerOptions options) =>
        new(Engine, options, TestProtocols.Factory(protocol, Probe));

    /// <summary>Reads the "hello ID" greeting of <see cref="ScriptedProtocol"/>; returns the id.</summary>
    protected static async Task<long> ReadHelloAsync(TestClient client)
    {
        string? line = await client.ReadLineAsync();
        Assert.NotNull(line);
        Assert.True(line.StartsWith("hello ", StringComparison.Ordinal), $"not a greeting: {line}");
        return long.Parse(line["hello ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
