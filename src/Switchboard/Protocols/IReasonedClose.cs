namespace Switchboard.Protocols;

/// <summary>
/// A connection a protocol of this library can close gracefully with a reason of its own, so that
/// the log says why (<see cref="LineProtocol"/>: <see cref="DisconnectReason.LineTooLong"/>):
/// every engine's connection is one.
/// </summary>
internal interface IReasonedClose
{
    /// <summary>As <see cref="IConnection.Close"/>, with <paramref name="reason"/> in place of <see cref="DisconnectReason.LocalClosed"/>.</summary>
    void Close(DisconnectReason reason);
}
