using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>
/// Runs callbacks from every source at once — reads, a 1 ms timer, one-shot timers, and sends
/// from another thread — and counts any two that overlap.
/// </summary>
public sealed class OverlapProtocol(IServerProbe probe) : Protocol
{
    private int _inside;

    public override void OnConnected()
    {
        Enter();
        Connection.Every(TimeSpan.FromMilliseconds(1), Enter);
        for (int i = 0; i < 100; i++)
            Connection.Schedule(TimeSpan.FromMilliseconds(i % 10), Enter);
        var connection = Connection;
        _ = Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
                connection.Send("x"u8);
        });
    }

    public override void OnReceived(ReadOnlySpan<byte> data)
    {
        Enter();
        probe.Received(data.Length);
    }

    public override void OnDisconnected(DisconnectReason reason) => Enter();

    private void Enter()
    {
        if (Interlocked.Increment(ref _inside) != 1)
            probe.Overlapped();
        Thread.SpinWait(200); // widen the window in which an overlap would show
        Interlocked.Decrement(ref _inside);
    }
}
