namespace Switchboard.Protocols;

/// <summary>
/// What to do with the bytes of one connection. A server creates one instance per connection
/// with its factory; an engine calls the callbacks one at a time, in order, never overlapping
/// (Twisted's <c>Protocol</c>). Callbacks must not block: use <see cref="IConnection.Schedule"/>
/// or <see cref="IConnection.Every"/> instead of sleeping.
/// </summary>
public abstract class Protocol
{
    private IConnection? _connection;

    /// <summary>The connection this protocol serves. Set before <see cref="OnConnected"/> runs.</summary>
    /// <exception cref="InvalidOperationException">The protocol is not attached to a connection yet.</exception>
    protected IConnection Connection =>
        _connection ?? throw new InvalidOperationException("The protocol is not attached to a connection yet.");

    /// <summary>Called once, first, when the connection is established.</summary>
    public virtual void OnConnected()
    {
    }

    /// <summary>Called with each piece of data read. The span is valid only during the call.</summary>
    /// <param name="data">The bytes received; how the stream is split into calls is arbitrary.</param>
    public virtual void OnReceived(ReadOnlySpan<byte> data)
    {
    }

    /// <summary>
    /// Called once when the server begins a graceful shutdown, while the connection can still
    /// send: the place to say goodbye. Output sent here is flushed before the connection closes
    /// with <see cref="DisconnectReason.ServerShutdown"/>.
    /// </summary>
    public virtual void OnShutdown()
    {
    }

    /// <summary>Called exactly once, last. Sending from here has no effect.</summary>
    /// <param name="reason">Why the connection ended.</param>
    public virtual void OnDisconnected(DisconnectReason reason)
    {
    }

    /// <summary>
    /// True if the protocol itself says when its connection is active (for the idle timeout),
    /// through <see cref="IActivityTracker"/>; false (the default) and every byte received counts.
    /// A line protocol says so only for a complete line, so that a byte trickle cannot hold a
    /// connection open.
    /// </summary>
    internal virtual bool ReportsOwnActivity => false;

    /// <summary>Binds this protocol to its connection; engines call it once, before <see cref="OnConnected"/>.</summary>
    internal void Attach(IConnection connection)
    {
        if (_connection is not null)
            throw new InvalidOperationException("A protocol instance serves exactly one connection.");
        _connection = connection;
    }
}
