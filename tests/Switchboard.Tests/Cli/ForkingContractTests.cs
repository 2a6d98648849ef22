using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The conformance suite's clauses (<see cref="EngineConformanceTests"/>), on <c>forking</c>
/// through the real executable. Its protocols live in worker processes, so the apps stand in for
/// the suite's scripted protocol and the workers' log lines (<c>[worker PID] REMOTE disconnected
/// (REASON)</c>) for its probe. Byte integrity at odd chunk sizes is in <see cref="ForkingEngineTests"/>.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class ForkingContractTests
{
    [Fact]
    public async Task A_client_that_never_reads_is_disconnected_as_slow_while_another_is_served()
    {
        using var server = Serve("echo", "--workers", "2..3", "--max-pending", "65536");
        var endPoint = await ListeningAsync(server);
        using var other = await TestClient.ConnectAsync(endPoint);
        await other.AssertEchoesAsync("before");
        using var slow = await TestClient.ConnectAsync(endPoint, receiveBufferSize: 4096);
        string slowAddress = Address(slow);
        await slow.AssertEchoesAsync("hello");

        // Far more than the socket buffers and the limit hold; the send fails once the worker drops it.
        var flood = Task.Run(async () =>
        {
            try
            {
                await slow.SendAsync(new byte[32 * 1024 * 1024]);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        });
        var dropped = DisconnectedAsync(server, slowAddress, "too slow");
        for (int i = 0; !dropped.IsCompleted || i < 5; i++)
            await other.AssertEchoesAsync($"echo {i}");

        await dropped;
        await flood.WaitAsync(Timeouts.Patient);
        Assert.Contains(server.StderrLines.Snapshot(), l => l.Contains($"{slowAddress} reads too slowly", StringComparison.Ordinal) && l.EndsWith("over the limit of 65536", StringComparison.Ordinal));
        await server.StopGracefullyAsync();
        Assert.Equal(1, DisconnectCount(server, slowAddress));
    }

    [Fact]
    public async Task An_overlong_line_gets_an_error_and_a_close()
    {
        using var server = Serve("print", "--workers", "1..2", "--max-line", "100");
        var endPoint = await ListeningAsync(server);
        using var client = await TestClient.ConnectAsync(endPoint);
        string address = Address(client);

        await client.SendAsync("fine\n" + new string('x', 300) + "\nnever\n");

        Assert.Equal("error: line too long (max 100 bytes)", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        await DisconnectedAsync(server, address, "closed by server");
        var lines = server.StderrLines.Snapshot();
        Assert.Contains(lines, l => l.EndsWith($"{address}: fine", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.EndsWith($"{address}: never", StringComparison.Ordinal));
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout()
    {
        using var server = Serve("echo", "--workers", "1..2", "--idle-timeout", "0.5");
        var endPoint = await ListeningAsync(server);
        using var client = await TestClient.ConnectAsync(endPoint);
        string address = Address(client);
        await client.AssertEchoesAsync("then silence");

        // A clean end of stream, not a reset (which would throw here).
        Assert.Empty(await client.ReadToEndAsync(Timeouts.Quick));
        await DisconnectedAsync(server, address, "idle timeout");
        Assert.DoesNotContain(server.StderrLines.Snapshot(), l => l.Contains("is hung", StringComparison.Ordinal));
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task Periodic_timers_send_in_order_and_stop_at_disconnect()
    {
        using var server = Serve("time", "--workers", "1..2", "--interval", "0.1");
        var endPoint = await ListeningAsync(server);
        using var client = await TestClient.ConnectAsync(endPoint);
        string address = Address(client);

        // The first line is sent from OnConnected; the rest from the worker's timer thread, so this
        // is also Send from another thread than the one reading the connection.
        Assert.NotNull(await client.ReadLineAsync());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var times = new List<DateTime>();
        for (int i = 0; i < 5; i++)
            times.Add(ParseAsctime(await client.ReadLineAsync()));
        clock.Stop();

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.35), $"5 periods of 0.1 s took {clock.Elapsed}");
        Assert.Equal(times.Order(), times);
        client.Socket.Shutdown(SocketShutdown.Send);
        // The worker closes on our FIN and its timer stops: the stream ends, with whole lines only.
        byte[] rest = await client.ReadToEndAsync(Timeouts.Quick);
        Assert.True(rest.Length == 0 || rest[^1] == (byte)'\n', "a line was cut");
        await DisconnectedAsync(server, address, "remote closed");
        await server.StopGracefullyAsync();
        Assert.Equal(1, DisconnectCount(server, address));
    }

    [Theory]
    [InlineData("close", "remote closed")]
    [InlineData("reset", "connection error")]
    public async Task OnDisconnected_reports_the_end_once_with_its_reason(string end, string reason)
    {
        using var server = Serve("print", "--workers", "1..2");
        var endPoint = await ListeningAsync(server);
        var client = await TestClient.ConnectAsync(endPoint);
        string address = Address(client);
        await client.SendAsync("hello\n");
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.EndsWith($"{address}: hello", StringComparison.Ordinal)));

        if (end == "reset")
            client.Reset();
        else
            client.Dispose();

        await DisconnectedAsync(server, address, reason);
        await server.StopGracefullyAsync();
        Assert.Equal(1, DisconnectCount(server, address));
    }

    [Fact]
    public async Task A_half_closed_client_still_gets_its_reply()
    {
        using var server = Serve("echo", "--workers", "1..2");
        var endPoint = await ListeningAsync(server);
        using var client = await TestClient.ConnectAsync(endPoint);
        string address = Address(client);

        await client.SendAsync("before my FIN\n");
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal("before my FIN", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        await DisconnectedAsync(server, address, "remote closed");
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_a_flood_ends_only_that_connection()
    {
        // Room for the whole flood, so that the reset, not the pending limit, ends the connection.
        using var server = Serve("echo", "--workers", "2..3", "--max-pending", "67108864");
        var endPoint = await ListeningAsync(server);
        using var bystander = await TestClient.ConnectAsync(endPoint);
        await bystander.AssertEchoesAsync("watching");
        var flooded = await TestClient.ConnectAsync(endPoint);
        string address = Address(flooded);
        await flooded.SendAsync(new byte[8 * 1024 * 1024]);
        await flooded.ReadExactlyAsync(100_000);

        flooded.Reset();

        await DisconnectedAsync(server, address, "connection error");
        await bystander.AssertEchoesAsync("unharmed");
        using var next = await TestClient.ConnectAsync(endPoint);
        await next.AssertEchoesAsync("served");
        await server.StopGracefullyAsync();
        Assert.Equal(1, DisconnectCount(server, address));
    }

    [Fact]
    public async Task A_burst_of_connects_and_immediate_closes_harms_no_one()
    {
        const int Clients = 200;
        using var server = Serve("echo", "--workers", "2..4");
        var endPoint = await ListeningAsync(server);
        var addresses = new List<string>();
        for (int batch = 0; batch < Clients / 50; batch++)
        {
            addresses.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
            {
                using var client = await TestClient.ConnectAsync(endPoint);
                return Address(client);
            })));
        }

        // Every connection a worker took is ended once; none is left open or lost.
        await server.StderrLines.WaitUntilAsync(
            l => addresses.All(a => l.Any(x => x.Contains($"{a} disconnected (", StringComparison.Ordinal))),
            Timeouts.Patient,
            $"{Clients} disconnects");
        using var next = await TestClient.ConnectAsync(endPoint);
        await next.AssertEchoesAsync("still fine");
        await server.StopGracefullyAsync();
        Assert.All(addresses, a => Assert.Equal(1, DisconnectCount(server, a)));
    }

    [Fact]
    public async Task Graceful_shutdown_says_goodbye_to_every_client_then_stops_listening()
    {
        using var server = Serve("chat", "--workers", "2..3");
        var endPoint = await ListeningAsync(server);
        var clients = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => TestClient.ConnectAsync(endPoint)));
        try
        {
            foreach (var client in clients)
                await client.ReadUntilAsync("* welcome", prefix: true);
            string[] addresses = [.. clients.Select(Address)];

            server.Terminate();

            foreach (var client in clients)
            {
                await client.ReadUntilAsync("* the server is shutting down; goodbye");
                Assert.Null(await client.ReadLineAsync());
            }

            Assert.Equal(0, await server.WaitForExitAsync());
            Assert.All(addresses, a => Assert.Equal(1, DisconnectCount(server, a)));
            Assert.All(addresses, a => Assert.Contains(server.StderrLines.Snapshot(), l => l.EndsWith($"{a} disconnected (server shutdown)", StringComparison.Ordinal)));
            await Assert.ThrowsAnyAsync<SocketException>(() => TestClient.ConnectAsync(endPoint));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    private static CliProcess Serve(string app, params string[] options) =>
        CliProcess.Start(["serve", app, "--port", "0", "--engine", "forking", .. options]);

    private static async Task<IPEndPoint> ListeningAsync(CliProcess server) => (await server.ReadListeningLineAsync()).EndPoint;

    private static string Address(TestClient client) => client.Socket.LocalEndPoint!.ToString()!;

    /// <summary>Waits for the worker's log line saying <paramref name="address"/> disconnected for <paramref name="reason"/>.</summary>
    private static Task<IReadOnlyList<string>> DisconnectedAsync(CliProcess server, string address, string reason) =>
        server.StderrLines.WaitUntilAsync(
            l => l.Any(x => x.Contains($"] {address} disconnected ({reason}", StringComparison.Ordinal)),
            what: $"{address} disconnected ({reason})");

    private static int DisconnectCount(CliProcess server, string address) =>
        server.StderrLines.Snapshot().Count(l => l.Contains($"{address} disconnected (", StringComparison.Ordinal));

    private static DateTime ParseAsctime(string? line)
    {
        Assert.NotNull(line);
        // "Wed Dec  2 09:05:07 2026": the day is padded with a space.
        return DateTime.ParseExact(line.Replace("  ", " ", StringComparison.Ordinal), "ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture);
    }
}
