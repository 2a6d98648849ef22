using Switchboard.Protocols;
using Switchboard.Testing;

namespace Switchboard.Tests.Protocols;

/// <summary>The contract pieces that need no sockets: timers on a manual clock, close and abort.</summary>
public sealed class StringTransportContractTests
{
    [Fact]
    public void Timers_fire_in_due_order_and_ties_in_the_order_scheduled()
    {
        var protocol = new TimerProtocol();
        var transport = new StringTransport(protocol);

        transport.AdvanceTime(TimeSpan.FromMilliseconds(100));

        Assert.Equal(["a10", "b10", "c20", "d50"], protocol.Fired);
    }

    [Fact]
    public void Periodic_timers_tick_once_a_period_and_stop_at_disconnect()
    {
        var protocol = new TickProtocol();
        var transport = new StringTransport(protocol);

        transport.AdvanceTime(TimeSpan.FromSeconds(3.5));
        Assert.Equal(3, protocol.Ticks);

        transport.CloseFromPeer();
        transport.AdvanceTime(TimeSpan.FromSeconds(10));

        Assert.Equal(3, protocol.Ticks);
        Assert.Equal(DisconnectReason.RemoteClosed, transport.DisconnectReason);
    }

    [Fact]
    public void A_cancelled_timer_does_not_fire()
    {
        var protocol = new TimerProtocol { CancelC = true };
        var transport = new StringTransport(protocol);

        transport.AdvanceTime(TimeSpan.FromSeconds(1));

        Assert.Equal(["a10", "b10", "d50"], protocol.Fired);
    }

    [Fact]
    public void Idle_timeout_counts_from_the_last_traffic()
    {
        var transport = new StringTransport(new SilentProtocol(), new ServerOptions { IdleTimeout = TimeSpan.FromSeconds(10) });

        transport.AdvanceTime(TimeSpan.FromSeconds(6));
        transport.Receive("x"u8);
        transport.AdvanceTime(TimeSpan.FromSeconds(6));
        Assert.Null(transport.DisconnectReason);
        transport.AdvanceTime(TimeSpan.FromSeconds(5));

        Assert.Equal(DisconnectReason.IdleTimeout, transport.DisconnectReason);
    }

    [Fact]
    public void Send_past_max_pending_disconnects_as_slow_consumer_and_is_refused()
    {
        var transport = new StringTransport(new SilentProtocol(), new ServerOptions { MaxPendingBytes = 10 });

        // A string transport writes at once, so pending is always empty; one oversized send trips the limit.
        Assert.False(transport.Connection.Send(new byte[11]));

        Assert.Equal(DisconnectReason.SlowConsumer, transport.DisconnectReason);
        Assert.False(transport.Connection.Send(new byte[1]));
    }

    [Fact]
    public void Abort_inside_a_callback_delivers_OnDisconnected_after_the_callback_returns()
    {
        var protocol = new AbortingProtocol();
        var transport = new StringTransport(protocol);

        transport.Receive("x"u8);

        Assert.Equal(["received:start", "received:end", "disconnected:Aborted"], protocol.Calls);
        Assert.Equal(DisconnectReason.Aborted, transport.DisconnectReason);
    }

    [Fact]
    public void An_exception_in_a_callback_ends_the_connection_with_ProtocolError()
    {
        var transport = new StringTransport(new ThrowingProtocol());

        transport.Receive("x"u8);

        Assert.Equal(DisconnectReason.ProtocolError, transport.DisconnectReason);
        Assert.True(transport.IsClosed);
    }

    private sealed class TimerProtocol : Protocol
    {
        public List<string> Fired { get; } = [];

        public bool CancelC { get; init; }

        public override void OnConnected()
        {
            Connection.Schedule(TimeSpan.FromMilliseconds(50), () => Fired.Add("d50"));
            Connection.Schedule(TimeSpan.FromMilliseconds(10), () => Fired.Add("a10"));
            var c = Connection.Schedule(TimeSpan.FromMilliseconds(20), () => Fired.Add("c20"));
            Connection.Schedule(TimeSpan.FromMilliseconds(10), () => Fired.Add("b10"));
            if (CancelC)
                c.Dispose();
        }
    }

    private sealed class TickProtocol : Protocol
    {
        public int Ticks { get; private set; }

        public override void OnConnected() => Connection.Every(TimeSpan.FromSeconds(1), () => Ticks++);
    }

    private sealed class SilentProtocol : Protocol;

    private sealed class AbortingProtocol : Protocol
    {
        public List<string> Calls { get; } = [];

        public override void OnReceived(ReadOnlySpan<byte> data)
        {
            Calls.Add("received:start");
            Connection.Abort();
            Calls.Add("received:end");
        }

        public override void OnDisconnected(DisconnectReason reason) => Calls.Add($"disconnected:{reason}");
    }

    private sealed class ThrowingProtocol : Protocol
    {
        public override void OnReceived(ReadOnlySpan<byte> data) => throw new InvalidOperationException("boom");
    }
}
