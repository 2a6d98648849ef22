namespace Switchboard.Clients;

/// <summary>How a <see cref="ConsoleClient"/> session ended.</summary>
public enum ClientOutcome
{
    /// <summary>The server closed the connection.</summary>
    RemoteClosed,

    /// <summary>The socket failed (reset, error).</summary>
    Failed,

    /// <summary>The caller cancelled (Ctrl-C).</summary>
    Cancelled,
}
