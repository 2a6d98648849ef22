using System.Net;
using Microsoft.Extensions.Logging;
using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Engines;

/// <summary>
/// The contract of <c>DESIGN.md</c> kept once for every engine: callbacks serialised by a gate,
/// bounded output, timers, idle timeout, close/abort, and <c>OnDisconnected</c> exactly once.
/// An engine subclass supplies only the transport: how queued output is written
/// (<see cref="OnOutputQueued"/>) and how the socket is closed (<see cref="CloseTransport"/>).
/// </summary>
internal abstract partial class ConnectionBase : IConnection, ITimerOwner
{
    private readonly Protocol _protocol;
    private readonly IConnectionHost _host;
    private readonly ITimerScheduler _timers;

    // Serialises protocol callbacks and timers. Monitor is re-entrant, so a callback that closes
    // its own connection re-enters here; _inCallback defers OnDisconnected until it returns.
    private readonly object _gate = new();
    private bool _inCallback;
    private bool _disconnectDelivered;

    // Guards _state, _closingReason, _completion and the output buffer. The buffer is internal and
    // never locked by anyone else, so it serves as the lock: one object fewer per connection.
    private readonly OutboundBuffer _output = new();
    private ConnectionState _state = ConnectionState.Open;
    private DisconnectReason _closingReason;
    private DisconnectReason _reason;

    private long _lastActivity;
    // Made only when someone waits (a graceful shutdown): an idle connection should cost little.
    private TaskCompletionSource? _completion;
    private bool _completed;

    protected ConnectionBase(long id, EndPoint remote, EndPoint local, Protocol protocol, IConnectionHost host, ITimerScheduler timers)
    {
        Id = id;
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        _protocol = protocol;
        _host = host;
        _timers = timers;
        _lastActivity = timers.Now;
    }

    public long Id { get; }

    public EndPoint RemoteEndPoint { get; }

    public EndPoint LocalEndPoint { get; }

    public ServerOptions Options => _host.Options;

    public long PendingBytes
    {
        get
        {
            lock (_output)
                return Output.Length;
        }
    }

    public bool IsOpen => State == ConnectionState.Open;

    bool ITimerOwner.IsAlive => State != ConnectionState.Closed;

    /// <summary>Why the connection closed; null while it is not closed.</summary>
    public DisconnectReason? Reason
    {
        get
        {
            lock (_output)
                return _state == ConnectionState.Closed ? _reason : null;
        }
    }

    /// <summary>When bytes last moved, in <see cref="ITimerScheduler.Now"/> ticks.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Completes after <c>OnDisconnected</c> has run.</summary>
    public Task Completion
    {
        get
        {
            lock (_output)
            {
                if (_completed)
                    return Task.CompletedTask;
                _completion ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _completion.Task;
            }
        }
    }

    protected ILogger Logger => _host.Logger;

    protected ConnectionState State
    {
        get
        {
            lock (_output)
                return _state;
        }
    }

    /// <summary>Queued output. Touch only while holding <see cref="OutputLock"/>.</summary>
    protected OutboundBuffer Output => _output;

    protected object OutputLock => _output;

    /// <summary>Attaches the protocol, logs the connection and runs <c>OnConnected</c>. Call once, before reading.</summary>
    public void Start()
    {
        _protocol.Attach(this);
        Log.Connected(Logger, RemoteEndPoint);
        if (Options.IdleTimeout > TimeSpan.Zero)
            ScheduleInternal(Options.IdleTimeout, CheckIdle);
        Invoke(static p => p.OnConnected());
    }

    public bool Send(ReadOnlySpan<byte> data)
    {
        bool tooSlow = false;
        long pending;
        lock (_output)
        {
            if (_state != ConnectionState.Open)
                return false;
            if (data.IsEmpty)
                return true;
            pending = Output.Length;
            if (pending + data.Length > Options.MaxPendingBytes)
                tooSlow = true;
            else
                Output.Append(data);
        }

        if (tooSlow)
        {
            Log.SlowConsumer(Logger, RemoteEndPoint, pending + data.Length, Options.MaxPendingBytes);
            Disconnect(DisconnectReason.SlowConsumer);
            return false;
        }

        OnOutputQueued();
        return true;
    }

    public void Close() => BeginClose(DisconnectReason.LocalClosed);

    public void Abort() => Disconnect(DisconnectReason.Aborted);

    public IDisposable Schedule(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return AddTimer(new ConnectionTimer(this, action, 0, isInternal: false), delay);
    }

    public IDisposable Every(TimeSpan period, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return AddTimer(new ConnectionTimer(this, action, Clock.ToTicks(period), isInternal: false), period);
    }

    /// <summary>Server shutdown: lets the protocol say goodbye, then flushes and closes.</summary>
    public virtual void BeginShutdown()
    {
        if (State != ConnectionState.Open)
            return;
        Invoke(static p => p.OnShutdown());
        BeginClose(DisconnectReason.ServerShutdown);
    }

    /// <summary>Closes at once with <paramref name="reason"/>; the first reason wins. Idempotent.</summary>
    public void Disconnect(DisconnectReason reason, Exception? error = null)
    {
        bool graceful;
        lock (_output)
        {
            if (_state == ConnectionState.Closed)
                return;
            _state = ConnectionState.Closed;
            _reason = reason;
            // An idle connection has nothing in flight either way: a FIN, like a close, on every
            // engine (an abortive close would reset it on the blocking and async engines only).
            graceful = reason is DisconnectReason.LocalClosed or DisconnectReason.RemoteClosed or DisconnectReason.ServerShutdown
                or DisconnectReason.IdleTimeout;
        }

        CloseTransport(graceful);
        LogDisconnected(reason, error);
        DeliverDisconnected();
    }

    void ITimerOwner.RunTimer(ConnectionTimer timer)
    {
        if (timer.IsInternal)
        {
            timer.Action();
            return;
        }

        Invoke(static (p, t) => t.Action(), timer);
    }

    /// <summary>Hands received bytes to the protocol, unless the connection is no longer open.</summary>
    protected void DeliverReceived(ReadOnlySpan<byte> data)
    {
        MarkActivity();
        Exception? fault = null;
        lock (_gate)
        {
            if (_disconnectDelivered || State != ConnectionState.Open)
                return;
            _inCallback = true;
            try
            {
                _protocol.OnReceived(data);
            }
#pragma warning disable CA1031 // An app's exception must end only its own connection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                fault = e;
            }
            finally
            {
                _inCallback = false;
            }
        }

        AfterCallback(fault);
    }

    /// <summary>The peer finished sending: flush what is pending, then close (reason <see cref="DisconnectReason.RemoteClosed"/>).</summary>
    protected void OnRemoteClosed() => BeginClose(DisconnectReason.RemoteClosed);

    /// <summary>Records traffic for the idle timeout.</summary>
    protected void MarkActivity() => Volatile.Write(ref _lastActivity, _timers.Now);

    /// <summary>The transport calls this when the output buffer has become empty.</summary>
    protected void OnOutputDrained()
    {
        DisconnectReason reason;
        lock (_output)
        {
            if (_state != ConnectionState.Closing || !Output.IsEmpty)
                return;
            reason = _closingReason;
        }

        Disconnect(reason);
    }

    /// <summary>Schedules an engine timer that runs regardless of state and outside the gate.</summary>
    protected ConnectionTimer ScheduleInternal(TimeSpan delay, Action action) =>
        AddTimer(new ConnectionTimer(this, action, 0, isInternal: true), delay);

    /// <summary>The engine closed the socket: call once. The server counts descriptors by it.</summary>
    protected void SocketClosed() => _host.OnSocketClosed();

    /// <summary>Output was queued: make sure something is writing it.</summary>
    protected abstract void OnOutputQueued();

    /// <summary>
    /// Closes the socket. <paramref name="graceful"/>: output was flushed, so end with a FIN (and
    /// read out what the peer still sends, so that the kernel does not answer it with a reset).
    /// Otherwise close at once. Called once, outside every lock.
    /// </summary>
    protected abstract void CloseTransport(bool graceful);

    private void BeginClose(DisconnectReason reason)
    {
        bool drained;
        lock (_output)
        {
            if (_state != ConnectionState.Open)
                return;
            _state = ConnectionState.Closing;
            _closingReason = reason;
            drained = Output.IsEmpty;
        }

        if (drained)
        {
            Disconnect(reason);
            return;
        }

        ScheduleInternal(Options.ShutdownTimeout, () =>
        {
            if (State == ConnectionState.Closing)
            {
                Log.FlushTimedOut(Logger, RemoteEndPoint, PendingBytes, Options.ShutdownTimeout.TotalSeconds);
                Disconnect(reason);
            }
        });
    }

    private ConnectionTimer AddTimer(ConnectionTimer timer, TimeSpan delay)
    {
        if (State == ConnectionState.Closed && !timer.IsInternal)
        {
            timer.Dispose();
            return timer;
        }

        timer.DueTicks = _timers.Now + Clock.ToTicks(delay);
        _timers.Add(timer);
        return timer;
    }

    private void LogDisconnected(DisconnectReason reason, Exception? error)
    {
        if (Logger.IsEnabled(LogLevel.Information))
        {
            string text = reason.Describe();
            if (error is null)
                Log.Disconnected(Logger, RemoteEndPoint, text);
            else
                Log.DisconnectedWithError(Logger, RemoteEndPoint, text, error.Message);
        }
    }

    private void CheckIdle()
    {
        if (State != ConnectionState.Open)
            return;
        long idleFor = _timers.Now - Volatile.Read(ref _lastActivity);
        long limit = Clock.ToTicks(Options.IdleTimeout);
        if (idleFor >= limit)
            Disconnect(DisconnectReason.IdleTimeout);
        else
            ScheduleInternal(Clock.ToTimeSpan(limit - idleFor), CheckIdle);
    }

    private void Invoke(Action<Protocol> callback) => Invoke(static (p, c) => c(p), callback);

    private void Invoke<TState>(Action<Protocol, TState> callback, TState state)
    {
        Exception? fault = null;
        lock (_gate)
        {
            if (_disconnectDelivered || State == ConnectionState.Closed)
                return;
            _inCallback = true;
            try
            {
                callback(_protocol, state);
            }
#pragma warning disable CA1031 // An app's exception must end only its own connection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                fault = e;
            }
            finally
            {
                _inCallback = false;
            }
        }

        AfterCallback(fault);
    }

    private void AfterCallback(Exception? fault)
    {
        if (fault is not null)
        {
            Log.ProtocolFault(Logger, RemoteEndPoint, fault);
            Disconnect(DisconnectReason.ProtocolError);
        }

        // A callback that closed its own connection left OnDisconnected for now.
        if (State == ConnectionState.Closed)
            DeliverDisconnected();
    }

    private void DeliverDisconnected()
    {
        // Never wait here for another thread's callback: a Send from connection A's callback can
        // disconnect a slow B while B's callback, holding B's gate, sends to A. Waiting for B's
        // gate from A's would deadlock; a pool thread can wait instead.
        if (!Monitor.TryEnter(_gate))
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.DeliverDisconnectedWhenFree(), this, preferLocal: false);
            return;
        }

        try
        {
            DeliverDisconnectedInGate();
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private void DeliverDisconnectedWhenFree()
    {
        lock (_gate)
            DeliverDisconnectedInGate();
    }

    private void DeliverDisconnectedInGate()
    {
        if (_inCallback || _disconnectDelivered)
            return;
        _disconnectDelivered = true;
        try
        {
            _protocol.OnDisconnected(_reason);
        }
#pragma warning disable CA1031 // Nothing is left to abort; log and carry on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ProtocolFault(Logger, RemoteEndPoint, e);
        }

        _host.OnConnectionClosed(this);
        TaskCompletionSource? waiting;
        lock (_output)
        {
            _completed = true;
            waiting = _completion;
        }

        waiting?.TrySetResult();
    }
}
