using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols;

namespace Switchboard.Engines;

// Closing: the lifecycle (ConnectionLifecycle: Open → Closing → Closed), close and abort, the
// transport's close, and OnDisconnected exactly once, then completion.
//
// Invariants:
// - _life moves only under the state lock, and only forwards; the first move to Closed wins, and
//   only that caller closes the transport (CloseTransport runs once, outside every lock).
// - OnDisconnected runs once, under the gate, after the move to Closed and after any callback in
//   progress has returned (ConnectionBase.Gate.cs); then the host is told, then Completion completes.
// - _completed turns true (under the state lock) only after OnDisconnected has run.
internal abstract partial class ConnectionBase
{
    private ConnectionLifecycle _life;

    // Made only when someone waits (a graceful shutdown): an idle connection should cost little.
    private TaskCompletionSource? _completion;
    private bool _completed;

    public bool IsOpen => State == ConnectionState.Open;

    /// <summary>Why the connection closed; null while it is not closed.</summary>
    public DisconnectReason? Reason
    {
        get
        {
            lock (_output)
                return _life.State == ConnectionState.Closed ? _life.Reason : null;
        }
    }

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

    protected ConnectionState State
    {
        get
        {
            lock (_output)
                return _life.State;
        }
    }

    public void Close() => BeginClose(DisconnectReason.LocalClosed);

    void IReasonedClose.Close(DisconnectReason reason) => BeginClose(reason);

    public void Abort() => Disconnect(DisconnectReason.Aborted);

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
        long dropped;
        lock (_output)
        {
            if (!_life.TryClose(reason))
                return;
            dropped = _output.StopCounting(); // out of the server's total now, freed when the transport discards it
        }

        // An idle connection has nothing in flight either way: a FIN, like a close, on every
        // engine (an abortive close would reset it on the blocking and async engines only).
        bool graceful = reason is DisconnectReason.LocalClosed or DisconnectReason.RemoteClosed or DisconnectReason.ServerShutdown
            or DisconnectReason.IdleTimeout or DisconnectReason.LineTooLong;
        CloseTransport(graceful);
        if (dropped > 0)
            OnDropped(dropped);
        LogDisconnected(reason, error);
        DeliverDisconnected();
    }

    /// <summary>The peer finished sending: flush what is pending, then close (reason <see cref="DisconnectReason.RemoteClosed"/>).</summary>
    protected void OnRemoteClosed() => BeginClose(DisconnectReason.RemoteClosed);

    /// <summary>
    /// Closes the socket. <paramref name="graceful"/>: output was flushed, so end with a FIN (and
    /// read out what the peer still sends, so that the kernel does not answer it with a reset).
    /// Otherwise close at once. Either way the transport discards what output is left
    /// (<see cref="DiscardOutput"/>). Called once, outside every lock, on whichever thread closed.
    /// </summary>
    protected abstract void CloseTransport(bool graceful);

    private void BeginClose(DisconnectReason reason)
    {
        bool drained;
        lock (_output)
        {
            if (!_life.TryBeginClosing(reason))
                return;
            drained = _output.IsEmpty;
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

    /// <summary>Runs <c>OnDisconnected</c>, then tells the host and completes. Once, under the gate (ConnectionBase.Gate.cs).</summary>
    private void RunOnDisconnected()
    {
        DisconnectReason reason;
        lock (_output)
        {
            Debug.Assert(_life.State == ConnectionState.Closed, "OnDisconnected only once closed");
            reason = _life.Reason;
        }

        try
        {
            _protocol.OnDisconnected(reason);
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
            Debug.Assert(!_completed, "completes once");
            _completed = true;
            waiting = _completion;
        }

        waiting?.TrySetResult();
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
}
