using System.Net;

namespace Switchboard.Protocols;

/// <summary>
/// One accepted connection, as a <see cref="Protocol"/> sees it. Every engine provides the same
/// guarantees (docs/architecture.md, "The contract"):
/// <list type="bullet">
/// <item><see cref="Send(ReadOnlySpan{byte})"/> never blocks and may be called from any thread.</item>
/// <item>Timers from <see cref="Schedule"/> and <see cref="Every"/> run serialised with the
/// connection's other callbacks, and are cancelled when it disconnects.</item>
/// <item><see cref="Protocol.OnDisconnected"/> runs exactly once.</item>
/// </list>
/// </summary>
public interface IConnection
{
    /// <summary>
    /// A number unique among the connections of one server: 1, 2, 3, … in a server of one process;
    /// on the forking engine, unique across its workers (a worker counts from its process id × 2³² + 1).
    /// </summary>
    long Id { get; }

    /// <summary>The peer's address and port.</summary>
    EndPoint RemoteEndPoint { get; }

    /// <summary>The local address and port the peer connected to.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>The options of the server this connection belongs to.</summary>
    ServerOptions Options { get; }

    /// <summary>
    /// Bytes handed to <see cref="Send(ReadOnlySpan{byte})"/> and not yet written to the socket.
    /// Never more than <see cref="ServerOptions.MaxPendingBytes"/>.
    /// </summary>
    long PendingBytes { get; }

    /// <summary>True until the connection starts closing (locally or remotely).</summary>
    bool IsOpen { get; }

    /// <summary>
    /// Queues a copy of <paramref name="data"/> for sending and returns at once. If the queued
    /// output would pass <see cref="ServerOptions.MaxPendingBytes"/>, the data is dropped and the
    /// connection is disconnected with <see cref="DisconnectReason.SlowConsumer"/>.
    /// </summary>
    /// <param name="data">The bytes to send; copied before the call returns.</param>
    /// <returns>False if the data was not queued (the connection is closing or closed, or too slow).</returns>
    bool Send(ReadOnlySpan<byte> data);

    /// <summary>Stops reading, flushes pending output, then closes (reason <see cref="DisconnectReason.LocalClosed"/>).</summary>
    void Close();

    /// <summary>Closes at once, discarding pending output (reason <see cref="DisconnectReason.Aborted"/>).</summary>
    void Abort();

    /// <summary>Runs <paramref name="action"/> once after <paramref name="delay"/>, serialised with the connection's callbacks.</summary>
    /// <param name="delay">How long to wait; zero or negative runs it as soon as possible.</param>
    /// <param name="action">What to run. It must not block.</param>
    /// <returns>A handle; disposing it cancels the timer if it has not run yet.</returns>
    IDisposable Schedule(TimeSpan delay, Action action);

    /// <summary>
    /// Runs <paramref name="action"/> every <paramref name="period"/>, first after one period,
    /// serialised with the connection's callbacks, until disposed or disconnected. Ticks that fall
    /// behind are skipped, not bunched.
    /// </summary>
    /// <param name="period">The interval between runs; must be positive.</param>
    /// <param name="action">What to run. It must not block.</param>
    /// <returns>A handle; disposing it stops the timer.</returns>
    IDisposable Every(TimeSpan period, Action action);
}
