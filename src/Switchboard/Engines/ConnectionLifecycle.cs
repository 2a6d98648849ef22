using System.Diagnostics;
using Switchboard.Protocols;

namespace Switchboard.Engines;

/// <summary>
/// A connection's state and reason as one value. The only moves are Open → Closing → Closed and
/// Open → Closed; nothing leaves Closed. While Closing, <see cref="Reason"/> is the reason it will
/// close with once its output has drained; once Closed, the reason it did (a later end, a failed
/// flush say, may replace a Closing reason; nothing replaces a Closed one). Not thread-safe: the
/// owning connection reads and moves it under its state lock.
/// </summary>
internal struct ConnectionLifecycle
{
    /// <summary>Where the connection is; <see cref="ConnectionState.Open"/> for a new one (the default).</summary>
    public ConnectionState State { get; private set; }

    /// <summary>Meaningful once Closing: see the type's summary.</summary>
    public DisconnectReason Reason { get; private set; }

    /// <summary>Open → Closing with <paramref name="reason"/>; false, and no change, if not open.</summary>
    public bool TryBeginClosing(DisconnectReason reason)
    {
        if (State != ConnectionState.Open)
            return false;
        State = ConnectionState.Closing;
        Reason = reason;
        return true;
    }

    /// <summary>Open or Closing → Closed with <paramref name="reason"/>; false, and no change, if already closed.</summary>
    public bool TryClose(DisconnectReason reason)
    {
        if (State == ConnectionState.Closed)
            return false;
        Debug.Assert(State is ConnectionState.Open or ConnectionState.Closing, "a state outside the three");
        State = ConnectionState.Closed;
        Reason = reason;
        return true;
    }
}
