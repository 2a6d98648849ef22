using Switchboard.Engines.Sockets;

namespace Switchboard.Engines.Blocking;

/// <summary>Serves each connection to its end on the accept thread before accepting the next.</summary>
internal sealed class IterativeAcceptor(ServerRuntime runtime) : BlockingAcceptor(runtime)
{
    protected override bool Dispatch(SocketConnection connection)
    {
        ServeToTheEnd(connection);
        return true;
    }

    /// <summary>Serves <paramref name="connection"/> on this thread until it has closed.</summary>
    public static void ServeToTheEnd(SocketConnection connection)
    {
        connection.RunBlocking();
        // Reading may end before the connection does (output still flushing after the peer's FIN).
        connection.Completion.Wait();
    }
}
