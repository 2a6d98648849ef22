namespace Switchboard.Engines;

/// <summary>A connection's life: open, then (optionally) closing while output drains, then closed.</summary>
internal enum ConnectionState
{
    /// <summary>Reading, and accepting output.</summary>
    Open,

    /// <summary>No longer reading or accepting output; flushing what is pending, then closes.</summary>
    Closing,

    /// <summary>Disconnected; <c>OnDisconnected</c> has run or is about to.</summary>
    Closed,
}
