using System.Net;
using Microsoft.Extensions.Logging;
using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Engines;

/// <summary>
/// The contract (docs/architecture.md, "The contract") kept once for every engine, one concern per part:
/// <list type="bullet">
/// <item><c>ConnectionBase.cs</c>: identity, construction, start.</item>
/// <item><c>ConnectionBase.Gate.cs</c>: protocol callbacks, one at a time, on the thread they may run on.</item>
/// <item><c>ConnectionBase.Output.cs</c>: the bounded output buffer and who writes it.</item>
/// <item><c>ConnectionBase.Closing.cs</c>: Open → Closing → Closed, and <c>OnDisconnected</c> exactly once.</item>
/// <item><c>ConnectionBase.Timers.cs</c>: protocol and engine timers, and the idle check.</item>
/// </list>
/// An engine subclass supplies only the transport: starting a writer for queued output
/// (<see cref="StartWriting"/>, which writes through <see cref="TryTakeOutput"/> and
/// <see cref="OnOutputWritten"/>), closing the socket (<see cref="CloseTransport"/>), and, if its
/// callbacks must run on one thread, handing work to it (<see cref="TryHandOff"/>).
/// </summary>
/// <remarks>
/// Two locks, both private to this class: the gate (callbacks) and the state lock (lifecycle,
/// output buffer and writer, completion; the buffer object itself, one object fewer per
/// connection). The state lock may be taken inside the gate, never the gate inside the state
/// lock, and nothing outside this class runs under the state lock. A subclass takes neither: it
/// calls the protected methods, each of which takes the state lock for one step.
/// </remarks>
internal abstract partial class ConnectionBase : IConnection, ITimerOwner, IActivityTracker, IReasonedClose
{
    private readonly Protocol _protocol;
    private readonly IConnectionHost _host;

    // For metrics: plain fields, each written by one thread at a time (see the properties), read
    // by a collector without a lock (a 64-bit read is whole; a count a moment old is fine).
    private long _bytesReceived;
    private long _bytesSent;
    private long _linesReceived;
    private long _linesSent;
    private long _bytesDropped;

    protected ConnectionBase(long id, EndPoint remote, EndPoint local, Protocol protocol, IConnectionHost host, ITimerScheduler timers)
    {
        Id = id;
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        _protocol = protocol;
        _host = host;
        _timers = timers;
        _lastActivity = timers.Now;
        _budget = host.OutputBudget;
        _output = new OutboundBuffer(_budget);
    }

    public long Id { get; }

    public EndPoint RemoteEndPoint { get; }

    public EndPoint LocalEndPoint { get; }

    /// <summary>The address the server's per-address limits counted this connection under, if any (set once, at admission).</summary>
    public IPAddress? CountedAddress { get; set; }

    public ServerOptions Options => _host.Options;

    protected ILogger Logger => _host.Logger;

    /// <summary>Attaches the protocol, logs the connection and runs <c>OnConnected</c>. Call once, before reading.</summary>
    public void Start()
    {
        _protocol.Attach(this);
        _host.OnConnectionStarted();
        Log.Connected(Logger, RemoteEndPoint);
        if (Options.IdleTimeout > TimeSpan.Zero)
            ScheduleInternal(Options.IdleTimeout, CheckIdle);
        Invoke(static p => p.OnConnected());
    }

    /// <summary>Bytes handed to the protocol so far (the reading thread writes it).</summary>
    public long BytesReceived => _bytesReceived;

    /// <summary>Bytes written to the socket so far (under the state lock).</summary>
    public long BytesSent => _bytesSent;

    /// <summary>Line ends received so far, counted while metrics count lines (<see cref="Diagnostics.ServerMetrics.CountsLines"/>).</summary>
    public long LinesReceived => _linesReceived;

    /// <summary>Line ends queued to send so far, counted as <see cref="LinesReceived"/> is.</summary>
    public long LinesSent => _linesSent;

    /// <summary>Queued output discarded unsent so far.</summary>
    public long BytesDropped => Interlocked.Read(ref _bytesDropped);

    /// <summary>The engine closed the socket: call once. The server counts descriptors by it.</summary>
    protected void SocketClosed() => _host.OnSocketClosed();
}
