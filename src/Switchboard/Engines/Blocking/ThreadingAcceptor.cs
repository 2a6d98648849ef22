using Switchboard.Engines.Sockets;

namespace Switchboard.Engines.Blocking;

/// <summary>Starts a thread for each connection, which blocks in its reads.</summary>
internal sealed class ThreadingAcceptor(ServerRuntime runtime) : BlockingAcceptor(runtime)
{
    // Connection threads only read and call the protocol; a small stack lets thousands coexist.
    private const int ConnectionThreadStackSize = 256 * 1024;

    protected override bool Dispatch(SocketConnection connection)
    {
        var thread = new Thread(connection.RunBlocking, ConnectionThreadStackSize)
        {
            IsBackground = true,
            Name = $"switchboard-conn-{connection.Id}",
        };
        thread.Start();
        return true;
    }
}
