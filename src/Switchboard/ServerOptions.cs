using System.Net;

namespace Switchboard;

/// <summary>
/// Settings every engine honours the same way (docs/architecture.md, "The contract"); an engine's
/// own settings are on the engine (<see cref="Engines.EpollEngine.Loops"/>, say).
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The address and port to listen on; port 0 picks a free port. Default: 127.0.0.1:0.</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>How many not-yet-accepted connections the kernel may queue. Default: 512.</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>
    /// Connections served at once. A client over the limit gets one line saying so and is closed.
    /// Default: 10,000. Two engines cannot tell a client anything: on iterative one connection is
    /// served at a time anyway, and on forking the limit caps the workers, so a client over it
    /// waits in the backlog for its turn.
    /// </summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>
    /// The most output one connection may have queued and unsent; past it the connection is
    /// disconnected as a slow consumer. Default: 1 MiB.
    /// </summary>
    public long MaxPendingBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Disconnect a connection after this long with nothing sent or received. For a
    /// <see cref="Protocols.LineProtocol"/> only complete lines count as received: bytes of a
    /// partial line do not, so a client trickling a byte at a time cannot stay forever. Zero (the
    /// default) disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>The longest line, in bytes without the line end, a <see cref="Protocols.LineProtocol"/> accepts. Default: 8192.</summary>
    public int MaxLineLength { get; init; } = 8192;

    /// <summary>
    /// How long a graceful shutdown, or a <see cref="Protocols.IConnection.Close"/> that waits for
    /// a peer to read its pending output, may take before connections are aborted. Default: 5 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Backlog < 1)
            throw new ArgumentException($"backlog must be at least 1 (got {Backlog})");
        if (MaxConnections < 1)
            throw new ArgumentException($"max connections must be at least 1 (got {MaxConnections})");
        if (MaxPendingBytes < 1)
            throw new ArgumentException($"max pending bytes must be at least 1 (got {MaxPendingBytes})");
        if (IdleTimeout < TimeSpan.Zero)
            throw new ArgumentException($"idle timeout must not be negative (got {IdleTimeout})");
        if (MaxLineLength < 1)
            throw new ArgumentException($"max line length must be at least 1 (got {MaxLineLength})");
        if (ShutdownTimeout < TimeSpan.Zero)
            throw new ArgumentException($"shutdown timeout must not be negative (got {ShutdownTimeout})");
    }
}
