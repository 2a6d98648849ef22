namespace Switchboard.Protocols;

/// <summary>Human-readable descriptions of <see cref="DisconnectReason"/> values, as used in logs.</summary>
public static class DisconnectReasonExtensions
{
    /// <summary>A short lower-case phrase for logs, e.g. "remote closed" or "too slow".</summary>
    /// <param name="reason">The reason to describe.</param>
    public static string Describe(this DisconnectReason reason) => reason switch
    {
        DisconnectReason.RemoteClosed => "remote closed",
        DisconnectReason.LocalClosed => "closed by server",
        DisconnectReason.Aborted => "aborted by server",
        DisconnectReason.Error => "connection error",
        DisconnectReason.SlowConsumer => "too slow",
        DisconnectReason.IdleTimeout => "idle timeout",
        DisconnectReason.ServerShutdown => "server shutdown",
        DisconnectReason.ProtocolError => "protocol error",
        DisconnectReason.LineTooLong => "line too long",
        _ => reason.ToString(),
    };
}
