namespace Switchboard.Protocols;

/// <summary>Why a connection ended. Passed once to <see cref="Protocol.OnDisconnected"/>.</summary>
public enum DisconnectReason
{
    /// <summary>The peer closed its side of the connection (end of stream).</summary>
    RemoteClosed,

    /// <summary>The protocol called <see cref="IConnection.Close"/> and pending output was flushed.</summary>
    LocalClosed,

    /// <summary>The protocol called <see cref="IConnection.Abort"/>: closed at once, pending output discarded.</summary>
    Aborted,

    /// <summary>The connection was reset by the peer or failed with a socket error.</summary>
    Error,

    /// <summary>The peer read too slowly: pending output passed <see cref="ServerOptions.MaxPendingBytes"/>.</summary>
    SlowConsumer,

    /// <summary>Nothing was sent or received for <see cref="ServerOptions.IdleTimeout"/>.</summary>
    IdleTimeout,

    /// <summary>The server is shutting down.</summary>
    ServerShutdown,

    /// <summary>A protocol callback threw an exception; the connection was aborted and the exception logged.</summary>
    ProtocolError,

    /// <summary>
    /// A line passed <see cref="LineProtocol"/>'s limit and the protocol closed the connection
    /// for it (the default <c>OnLineTooLong</c>), after flushing its error line.
    /// </summary>
    LineTooLong,
}
