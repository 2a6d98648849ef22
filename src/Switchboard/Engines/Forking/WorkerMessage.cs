namespace Switchboard.Engines.Forking;

/// <summary>One-byte status messages a worker sends its parent over the control channel.</summary>
internal static class WorkerMessage
{
    /// <summary>The worker took a connection.</summary>
    public const byte Busy = (byte)'B';

    /// <summary>The worker finished a connection and is free again.</summary>
    public const byte Idle = (byte)'I';
}
