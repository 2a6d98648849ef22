using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>
/// Counts callbacks of one connection that overlap. Callbacks come from every source at once
/// (reads, a 1 ms timer, one-shot timers, sends from another thread), and one check does not rely
/// on timing: when a <c>!</c> arrives, <c>OnReceived</c> holds the gate while another thread
/// aborts the connection, and returns only once that <c>Abort</c> has returned, so the end has
/// certainly reached the engine. A gate that let <c>OnDisconnected</c> run then, inside the held
/// callback, is caught every time (and reported before the disconnect itself).
/// </summary>
public sealed class OverlapProtocol(IServerProbe probe) : Protocol
{
    private int _inside;

    public override void OnConnected()
    {
        using var inside = Enter();
        Connection.Every(TimeSpan.FromMilliseconds(1), Touch);
        for (int i = 0; i < 100; i++)
            Connection.Schedule(TimeSpan.FromMilliseconds(i % 10), Touch);
        var connection = Connection;
        _ = Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
                connection.Send("x"u8);
        });
    }

    public override void OnReceived(ReadOnlySpan<byte> data)
    {
        using var inside = Enter();
        if (data.Contains((byte)'!'))
        {
            var connection = Connection;
            var other = new Thread(connection.Abort);
            other.Start();
            if (!other.Join(TimeSpan.FromSeconds(10)))
                throw new TimeoutException("Abort from another thread did not return");
        }

        probe.Received(data.Length);
    }

    public override void OnDisconnected(DisconnectReason reason)
    {
        using var inside = Enter();
        probe.Disconnected(Connection.Id, reason);
    }

    private void Touch()
    {
        using var inside = Enter();
    }

    private Inside Enter()
    {
        if (Interlocked.Increment(ref _inside) != 1)
            probe.Overlapped();
        return new Inside(this);
    }

    private readonly struct Inside(OverlapProtocol owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._inside);
    }
}
