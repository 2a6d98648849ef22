namespace Switchboard.Hosting;

/// <summary>One-byte status messages a worker sends its parent over the control channel.</summary>
internal static class WorkerStatus
{
    /// <summary>The worker is up and waiting for connections: until then, its death is a failed start.</summary>
    public const byte Ready = (byte)'R';

    /// <summary>The worker took a connection.</summary>
    public const byte Busy = (byte)'B';

    /// <summary>The worker finished a connection and is free again.</summary>
    public const byte Idle = (byte)'I';

    /// <summary>
    /// Still serving, sent every second while busy (when an idle timeout is set), followed by how
    /// long its connection has been quiet, in milliseconds (4 bytes, little-endian): the parent
    /// decides from that, or from the silence when reports stop, that the worker is hung.
    /// </summary>
    public const byte Alive = (byte)'A';

    /// <summary>
    /// The worker's connection ended, followed by its counts for the parent's metrics: the
    /// <see cref="Protocols.DisconnectReason"/> (1 byte), then bytes received, bytes sent, lines
    /// received, lines sent and output bytes dropped unsent (8 bytes each, little-endian). Sent
    /// before <see cref="Idle"/>.
    /// </summary>
    public const byte Served = (byte)'S';

    /// <summary>The worker is exiting on its own, so its exit status is an exit code, not a signal.</summary>
    public const byte Exiting = (byte)'X';
}
