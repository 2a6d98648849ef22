using Switchboard.Engines;
using Switchboard.Engines.Blocking;
using Switchboard.Protocols;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

public sealed class ThreadingEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "threading";
}

/// <summary>The threading engine against the limits on threads (issue: a flood of connections once aborted the process).</summary>
public sealed class ThreadingThreadLimitTests
{
    private readonly ServerProbe _probe = new();

    [Fact]
    public async Task With_no_room_for_another_thread_a_client_is_refused_with_a_line_and_the_others_are_served()
    {
        // Room for two connection threads, as if a limit on threads were that close.
        int started = 0;
        var engine = new ThreadingEngine { MeasureThreadRoom = () => new ThreadRoom(2 - Volatile.Read(ref started), "a test's limit") };
        await using var server = new Server(engine, new ServerOptions(), TestProtocols.Factory(TestProtocol.Scripted, _probe));
        server.Start();

        using var first = await TestClient.ConnectAsync(server.LocalEndPoint);
        Assert.StartsWith("hello ", await first.ReadLineAsync());
        Interlocked.Increment(ref started);
        using var second = await TestClient.ConnectAsync(server.LocalEndPoint);
        Assert.StartsWith("hello ", await second.ReadLineAsync());
        Interlocked.Increment(ref started);

        using var third = await TestClient.ConnectAsync(server.LocalEndPoint);
        Assert.Equal("error: server out of threads; try again later", await third.ReadLineAsync());
        Assert.Null(await third.ReadLineAsync());

        await second.SendAsync("echo still served\n");
        Assert.Equal("still served", await second.ReadLineAsync());

        // A thread that ends leaves its room to the next client. Its protocol hears the disconnect
        // a moment before the thread ends, so a client in that moment may still be refused: each
        // refusal is the cue to try again, until the room shows (bounded by the deadline).
        long firstId = 1;
        first.Dispose();
        await _probe.WaitForDisconnectAsync(firstId, DisconnectReason.RemoteClosed);
        var deadline = DateTime.UtcNow + Timeouts.Patient;
        string? greeting;
        do
        {
            using var fourth = await TestClient.ConnectAsync(server.LocalEndPoint);
            greeting = await fourth.ReadLineAsync();
        }
        while (greeting == "error: server out of threads; try again later" && DateTime.UtcNow < deadline);
        Assert.StartsWith("hello ", greeting);
        await server.StopAsync().WaitAsync(Timeouts.Patient);
    }
}

public sealed class ThreadBudgetTests
{
    [Fact]
    public void It_measures_again_only_after_half_the_room_is_used_and_refuses_when_there_is_none()
    {
        int measurements = 0;
        int room = 8;
        var clock = new ManualTimeProvider();
        var budget = new ThreadBudget(() => { measurements++; return new ThreadRoom(room, "test"); }, clock);

        // 8 free: measured at 0 (room 8 → next at 4), 4 (room 4 → 6), 6 (room 2 → 7), 7 (room 1 → 8), 8 (none).
        for (int i = 0; i < 8; i++)
        {
            Assert.True(budget.TryStart());
            room--;
        }

        Assert.Equal(4, measurements);
        Assert.False(budget.TryStart());
        Assert.Equal(5, measurements);
        Assert.Equal("test", budget.FullBecause);

        // While full, no measuring for a second (a flood of refusals reads /proc once a second at most) ...
        Assert.False(budget.TryStart());
        Assert.Equal(5, measurements);

        // ... but a thread that ended leaves its room to the next one at once.
        budget.Ended();
        room++;
        Assert.True(budget.TryStart());
        room--;
        Assert.Equal(5, measurements);
        Assert.False(budget.TryStart());

        // After a second, it measures again: the limit itself may have moved.
        clock.Advance(TimeSpan.FromSeconds(1));
        room = 3;
        Assert.True(budget.TryStart());
        Assert.Equal(6, measurements);
        Assert.Equal(8 + 1, budget.Live);
    }

    [Fact]
    public void The_room_measured_on_this_machine_is_positive_and_names_its_limit()
    {
        var room = ThreadRoom.Measure();
        Assert.True(room.Threads > 100, $"room {room.Threads} ({room.Limit})");
        if (OperatingSystem.IsLinux())
            Assert.True(room.Threads < 1_000_000, $"room {room.Threads} ({room.Limit})");
    }
}
