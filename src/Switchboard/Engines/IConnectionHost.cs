using Microsoft.Extensions.Logging;

namespace Switchboard.Engines;

/// <summary>What a connection needs from the server that owns it.</summary>
internal interface IConnectionHost
{
    ServerOptions Options { get; }

    ILogger Logger { get; }

    /// <summary>The cap on all connections' queued output together, if the host keeps one.</summary>
    OutputBudget? OutputBudget => null;

    /// <summary>Called once per connection the engine starts serving (one admitted and then refused is not).</summary>
    void OnConnectionStarted()
    {
    }

    /// <summary>Called once per connection, after <c>OnDisconnected</c> has run.</summary>
    void OnConnectionClosed(ConnectionBase connection);

    /// <summary>Queued output of a connection was discarded unsent (<paramref name="bytes"/> of it).</summary>
    void OnOutputDropped(long bytes)
    {
    }

    /// <summary>
    /// Called once per connection when its socket is closed: with a lingering close, after
    /// <see cref="OnConnectionClosed"/>. Until then the connection still holds a descriptor.
    /// </summary>
    void OnSocketClosed();
}
