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

    /// <summary>
    /// The name of this server's listener among the servers of one process (IRC beside the line
    /// protocol, say), so that an engine that serves from other processes starts each its own: a
    /// forking server's workers serve only the listener they were started for. Default: empty.
    /// </summary>
    public string ListenerName { get; init; } = "";

    /// <summary>
    /// The line a refused client is sent before it is closed, made from the reason (<c>server full
    /// (10,000 connections)</c>, a per-address limit, …), line end included, in the protocol's own
    /// terms. Default: <c>error: REASON; try again later</c> and <c>\n</c>.
    /// </summary>
    public Func<string, string> RefusalLine { get; init; } = DefaultRefusalLine;

    /// <summary>
    /// How many not-yet-accepted connections the kernel may queue. Default: 4096, Linux's own
    /// default cap (<c>net.core.somaxconn</c>, which also caps any larger value): a client
    /// connecting in a loop fills a shorter queue whenever the server falls behind for a moment,
    /// and each handshake the kernel then drops costs its client a second (docs/benchmarks.md,
    /// "Accept storms").
    /// </summary>
    public int Backlog { get; init; } = 4096;

    /// <summary>
    /// Connections served at once. A client over the limit gets one line saying so and is closed.
    /// Default: 10,000. On iterative one connection is served at a time anyway. On forking the
    /// limit caps the workers: a client over it waits in the backlog for a worker to come free,
    /// and is told the server is full once every worker has been busy for a second.
    /// </summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>
    /// The most output one connection may have queued and unsent; past it the connection is
    /// disconnected as a slow consumer. Default: 1 MiB.
    /// </summary>
    public long MaxPendingBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// The most output all connections together may have queued and unsent (in a forking server:
    /// each worker process). Past it the connections with the most queued are disconnected as
    /// slow consumers, biggest first, until the total is under it again. Zero: no cap.
    /// Default: 256 MiB.
    /// </summary>
    public long MaxPendingTotalBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>
    /// A soft limit on one connection's queued output: a connection whose queue stays over it for
    /// longer than <see cref="MaxPendingSoftTime"/> is disconnected as a slow consumer. Zero turns
    /// it off, and so does a value at or over <see cref="MaxPendingBytes"/>. Default: 256 KiB.
    /// </summary>
    public long MaxPendingSoftBytes { get; init; } = 256 * 1024;

    /// <summary>How long a queue may stay over <see cref="MaxPendingSoftBytes"/>. Zero turns the soft limit off. Default: 10 s.</summary>
    public TimeSpan MaxPendingSoftTime { get; init; } = TimeSpan.FromSeconds(10);

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

    // Per-address limits (docs/reliability.md): what one address may take of the server.

    /// <summary>
    /// Connections one address may have open at once; a client over it gets
    /// <c>error: too many connections from your address (N); try again later</c> and is closed.
    /// IPv4 addresses count one by one, IPv6 addresses by their /64. Addresses in
    /// <see cref="LimitExempt"/> are not counted. Zero (the default) disables it. Not available on
    /// the forking engine (its workers admit connections apart): a server refuses to start with it.
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; }

    /// <summary>
    /// New connections one address may open a minute, in bursts of up to this many (a token bucket
    /// refilled at this rate); a client over it gets
    /// <c>error: connecting too often from your address (N a minute); try again later</c> and is
    /// closed. Counted as for <see cref="MaxConnectionsPerAddress"/>. Zero (the default) disables
    /// it. Not available on the forking engine.
    /// </summary>
    public int ConnectRatePerMinute { get; init; }

    /// <summary>
    /// Networks the per-address limits never apply to. Default: <c>127.0.0.0/8</c> and <c>::1</c>
    /// (this machine's own clients); empty exempts nothing.
    /// </summary>
    public IReadOnlyList<IPNetwork> LimitExempt { get; init; } = DefaultLimitExempt;

    /// <summary>
    /// TLS: null (the default) serves plain TCP; a certificate makes every connection of this
    /// server TLS, on every engine, the app seeing only plaintext (docs/tls.md). A client must
    /// finish its handshake within 10 s; one that speaks plain text is told so in one line and
    /// closed. The certificate object stays for the server's life; a reload puts a newer
    /// certificate into it (<see cref="Tls.ServerCertificate.ReplaceWith"/>).
    /// </summary>
    public Tls.ServerCertificate? Tls { get; init; }

    /// <summary>The default of <see cref="LimitExempt"/>: the loopback networks, 127.0.0.0/8 and ::1/128.</summary>
    public static IReadOnlyList<IPNetwork> DefaultLimitExempt { get; } =
        [new IPNetwork(IPAddress.Parse("127.0.0.0"), 8), new IPNetwork(IPAddress.IPv6Loopback, 128)];

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
        if (MaxPendingTotalBytes < 0)
            throw new ArgumentException($"max pending total bytes must not be negative (got {MaxPendingTotalBytes}); 0 means no cap");
        if (MaxPendingSoftBytes < 0)
            throw new ArgumentException($"max pending soft bytes must not be negative (got {MaxPendingSoftBytes}); 0 turns the soft limit off");
        if (MaxPendingSoftTime < TimeSpan.Zero)
            throw new ArgumentException($"max pending soft time must not be negative (got {MaxPendingSoftTime}); 0 turns the soft limit off");
        if (IdleTimeout < TimeSpan.Zero)
            throw new ArgumentException($"idle timeout must not be negative (got {IdleTimeout})");
        if (MaxLineLength < 1)
            throw new ArgumentException($"max line length must be at least 1 (got {MaxLineLength})");
        if (ShutdownTimeout < TimeSpan.Zero)
            throw new ArgumentException($"shutdown timeout must not be negative (got {ShutdownTimeout})");
        if (MaxConnectionsPerAddress < 0)
            throw new ArgumentException($"--max-connections-per-ip must be 0 (off) or more (got {MaxConnectionsPerAddress})");
        if (ConnectRatePerMinute < 0)
            throw new ArgumentException($"--connect-rate must be 0 (off) or more (got {ConnectRatePerMinute})");
        if (LimitExempt is null)
            throw new ArgumentException("--limit-exempt must be a list (empty exempts nothing)");
    }

    private static string DefaultRefusalLine(string reason) => $"error: {reason}; try again later\n";
}
