using System.Diagnostics;
using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Engines;

// The gate: a connection's protocol callbacks run one at a time, and, where the engine gives its
// connections a thread of their own (a readiness loop), on that thread.
//
// Invariants, all under _gate:
// - _inCallback is true exactly while a callback (OnConnected, OnReceived, OnShutdown, a timer's
//   action) runs; OnDisconnected is never delivered while it is (a callback that closes its own
//   connection gets OnDisconnected after it returns, from AfterCallback).
// - _disconnectDelivered turns true once, just before OnDisconnected runs; after it, no callback runs.
// The gate is a monitor, so re-entrant: a callback that closes its own connection comes back here.
internal abstract partial class ConnectionBase
{
    private readonly object _gate = new();
    private bool _inCallback;
    private bool _disconnectDelivered;

    /// <summary>Hands received bytes to the protocol, unless the connection is no longer open.</summary>
    protected void DeliverReceived(ReadOnlySpan<byte> data)
    {
        if (!_protocol.ReportsOwnActivity)
            MarkActivity();
        _bytesReceived += data.Length;
        if (Diagnostics.ServerMetrics.CountsLines)
            _linesReceived += data.Count((byte)'\n');
        RunCallback<ReceivedCallback, ReadOnlySpan<byte>>(data, openOnly: true);
    }

    /// <summary>
    /// If this connection's callbacks must run on one thread and the caller is not on it, hands
    /// <paramref name="work"/> to that thread and returns true; otherwise returns false, and the
    /// caller does the work itself. The default: no such thread (the blocking and async engines,
    /// whose callbacks run on whichever thread delivers them, one at a time under the gate).
    /// </summary>
    /// <param name="work">What to run there, given this connection.</param>
    protected virtual bool TryHandOff(Action<ConnectionBase> work) => false;

    private void Invoke(Action<Protocol> callback) => RunCallback<InvokedCallback, Action<Protocol>>(callback, openOnly: false);

    /// <summary>
    /// The one gate body: runs <typeparamref name="TCallback"/> under the gate unless the connection
    /// has ended (or, with <paramref name="openOnly"/>, is closing). A throw ends only this
    /// connection. The callback is a type, not a delegate, so that the JIT compiles a copy of this
    /// body per callback with a direct call in it: <c>OnReceived</c> runs here once per read.
    /// </summary>
    private void RunCallback<TCallback, TState>(TState state, bool openOnly)
        where TCallback : struct, IProtocolCallback<TState>
        where TState : allows ref struct
    {
        Exception? fault = null;
        lock (_gate)
        {
            var now = State;
            if (_disconnectDelivered || now == ConnectionState.Closed || (openOnly && now != ConnectionState.Open))
                return;
            // A callback may start another on its own thread (a protocol that stops the server
            // gets OnShutdown from inside its own callback): only the outer one ends the span.
            bool outer = !_inCallback;
            _inCallback = true;
            try
            {
                TCallback.Run(_protocol, state);
            }
#pragma warning disable CA1031 // An app's exception must end only its own connection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                fault = e;
            }
            finally
            {
                if (outer)
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

    /// <summary>
    /// Delivers <c>OnDisconnected</c> once the connection is closed: now, if this thread may and the
    /// gate is free; otherwise where and when it is. Never waits for the gate here: a <c>Send</c>
    /// from connection A's callback can disconnect a slow B while B's callback, holding B's gate,
    /// sends to A, and waiting for B's gate from A's would deadlock.
    /// </summary>
    private void DeliverDisconnected()
    {
        // A loop's connection: on the loop, where its gate is only ever taken, so free unless this
        // very thread is inside one of its callbacks (then AfterCallback delivers).
        if (TryHandOff(static c => c.DeliverDisconnected()))
            return;

        if (!Monitor.TryEnter(_gate))
        {
            // Another thread is in a callback (blocking and async engines only): a pool thread waits.
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
        Debug.Assert(Monitor.IsEntered(_gate), "delivered under the gate");
        Debug.Assert(State == ConnectionState.Closed, "OnDisconnected only once closed");
        _disconnectDelivered = true;
        RunOnDisconnected();
    }

    /// <summary>One kind of protocol callback, for <see cref="RunCallback"/>.</summary>
    private interface IProtocolCallback<TState>
        where TState : allows ref struct
    {
        static abstract void Run(Protocol protocol, TState state);
    }

    private readonly struct ReceivedCallback : IProtocolCallback<ReadOnlySpan<byte>>
    {
        public static void Run(Protocol protocol, ReadOnlySpan<byte> state) => protocol.OnReceived(state);
    }

    private readonly struct InvokedCallback : IProtocolCallback<Action<Protocol>>
    {
        public static void Run(Protocol protocol, Action<Protocol> state) => state(protocol);
    }

    private readonly struct TimerCallback : IProtocolCallback<ConnectionTimer>
    {
        public static void Run(Protocol protocol, ConnectionTimer state) => state.Action();
    }
}
