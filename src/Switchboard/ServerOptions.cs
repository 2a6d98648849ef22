using System.Net;

namespace Switchboard;

/// <summary>Settings every engine honours the same way (see <c>DESIGN.md</c>, "Server options").</summary>
public sealed record ServerOptions
{
    /// <summary>The address and port to listen on; port 0 picks a free port. Default: 127.0.0.1:0.</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>How many not-yet-accepted connections the kernel may queue. Default: 512.</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>
    /// Connections served at once. A client over the limit gets one line saying so and is closed.
    /// Default: 10,000.
    /// </summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>
    /// The most output one connection may have queued and unsent; past it the connection is
    /// disconnected as a slow consumer. Default: 1 MiB.
    /// </summary>
    public long MaxPendingBytes { get; init; } = 1024 * 1024;

    /// <summary>Disconnect a connection after this long with nothing sent or received. Zero (the default) disables it.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>The longest line, in bytes without the line end, a <see cref="Protocols.LineProtocol"/> accepts. Default: 8192.</summary>
    public int MaxLineLength { get; init; } = 8192;

    /// <summary>
    /// How long a graceful shutdown, or a <see cref="Protocols.IConnection.Close"/> that waits for
    /// a peer to read its pending output, may take before connections are aborted. Default: 5 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The most event loops <see cref="Loops"/> may ask for.</summary>
    public const int MaxLoops = 256;

    /// <summary>
    /// Event loops for engines that run several (epoll), at most <see cref="MaxLoops"/>; 0 (the
    /// default) means one per core.
    /// </summary>
    public int Loops { get; init; }

    /// <summary>The forking engine's pool of worker processes.</summary>
    public WorkerPoolOptions Workers { get; init; } = new();

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
        if (Loops is < 0 or > MaxLoops)
            throw new ArgumentException($"loops must be 0 (one per core) to {MaxLoops} (got {Loops})");
        Workers.Validate();
        if (ShutdownTimeout < TimeSpan.Zero)
            throw new ArgumentException($"shutdown timeout must not be negative (got {ShutdownTimeout})");
    }
}
