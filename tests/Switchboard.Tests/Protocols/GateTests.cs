using Switchboard.Protocols;
using Switchboard.Testing;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Protocols;

/// <summary>
/// The gate every engine shares (ConnectionBase), checked without timing: a callback is held
/// while another thread tries to run one of the same connection, until that thread has either run
/// it (an overlap) or is provably waiting at the gate.
/// </summary>
public sealed class GateTests
{
    [Fact]
    public void A_timer_fired_from_another_thread_waits_for_the_callback_in_progress()
    {
        var protocol = new HoldingProtocol();
        var transport = new StringTransport(protocol);
        transport.AdvanceTime(TimeSpan.FromSeconds(1)); // the firing path runs once (compiled), unheld
        Assert.Equal(1, protocol.TimerRuns);
        transport.Connection.Schedule(TimeSpan.FromSeconds(1), protocol.OnTimer);

        var receiving = new Thread(() => transport.Receive("x"u8));
        receiving.Start();
        Assert.True(protocol.Holding.Wait(Timeouts.Quick));

        // The firing thread's only wait on its way to the timer's action is the gate (the manual
        // clock's own lock is free): once it is waiting, it waits there.
        var firing = new Thread(() => transport.AdvanceTime(TimeSpan.FromSeconds(1)));
        firing.Start();
        Assert.True(
            SpinWait.SpinUntil(() => protocol.TimerRuns == 2 || (firing.ThreadState & ThreadState.WaitSleepJoin) != 0, Timeouts.Quick),
            "the firing thread neither ran the timer nor waited");
        int runsWhileHeld = protocol.TimerRuns;

        protocol.Release.Set();
        Assert.True(receiving.Join(Timeouts.Quick));
        Assert.True(firing.Join(Timeouts.Quick));

        Assert.Equal(1, runsWhileHeld);
        Assert.Equal(2, protocol.TimerRuns);
        Assert.Equal(0, protocol.Overlaps);
    }

    [Fact]
    public void An_abort_from_another_thread_during_a_callback_delivers_OnDisconnected_after_it_returns()
    {
        var protocol = new HoldingProtocol();
        var transport = new StringTransport(protocol);
        var receiving = new Thread(() => transport.Receive("x"u8));
        receiving.Start();
        Assert.True(protocol.Holding.Wait(Timeouts.Quick));

        // Abort returns on this thread: by then the end has reached the connection, and
        // OnDisconnected, had the gate let it, would have run already.
        transport.Connection.Abort();
        bool disconnectedWhileHeld = protocol.Disconnected.IsSet;

        protocol.Release.Set();
        Assert.True(receiving.Join(Timeouts.Quick));
        Assert.True(protocol.Disconnected.Wait(Timeouts.Quick));

        Assert.False(disconnectedWhileHeld);
        Assert.Equal(0, protocol.Overlaps);
        Assert.Equal(DisconnectReason.Aborted, transport.DisconnectReason);
    }

    /// <summary>Holds its first <c>OnReceived</c> until released; counts timer runs and overlaps.</summary>
    private sealed class HoldingProtocol : Protocol
    {
        private int _inside;
        private int _timerRuns;
        private int _overlaps;

        public ManualResetEventSlim Holding { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public ManualResetEventSlim Disconnected { get; } = new();

        public int TimerRuns => Volatile.Read(ref _timerRuns);

        public int Overlaps => Volatile.Read(ref _overlaps);

        public override void OnConnected() => Connection.Schedule(TimeSpan.FromMilliseconds(500), OnTimer);

        public override void OnReceived(ReadOnlySpan<byte> data)
        {
            Enter();
            Holding.Set();
            Release.Wait(Timeouts.Patient);
            Exit();
        }

        public override void OnDisconnected(DisconnectReason reason)
        {
            Enter();
            Disconnected.Set();
            Exit();
        }

        public void OnTimer()
        {
            Enter();
            Interlocked.Increment(ref _timerRuns);
            Exit();
        }

        private void Enter()
        {
            if (Interlocked.Increment(ref _inside) != 1)
                Interlocked.Increment(ref _overlaps);
        }

        private void Exit() => Interlocked.Decrement(ref _inside);
    }
}
