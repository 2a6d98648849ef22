using System.Net;
using Switchboard.Engines;
using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Testing;

/// <summary>A connection with no socket: output is "written" at once into a buffer the test reads.</summary>
internal sealed class MemoryConnection(Protocol protocol, IConnectionHost host, ITimerScheduler timers)
    : ConnectionBase(1, new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 1234), protocol, host, timers)
{
    private readonly List<byte> _written = [];

    public bool TransportClosed { get; private set; }

    public byte[] TakeWritten()
    {
        lock (_written)
        {
            byte[] bytes = [.. _written];
            _written.Clear();
            return bytes;
        }
    }

    public void Feed(ReadOnlySpan<byte> data) => DeliverReceived(data);

    public void PeerClosed() => OnRemoteClosed();

    /// <summary>Writes everything at once, on the sending thread.</summary>
    protected override void StartWriting()
    {
        while (TryTakeOutput(out var chunk))
        {
            lock (_written)
                _written.AddRange(chunk.Span);
            OnOutputWritten(chunk.Length);
        }

        OnOutputDrained();
    }

    protected override void CloseTransport(bool graceful)
    {
        DiscardOutput();
        TransportClosed = true;
    }
}
