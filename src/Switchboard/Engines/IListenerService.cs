using System.Net.Sockets;

namespace Switchboard.Engines;

/// <summary>
/// What an engine runs over the listening socket: an <see cref="Acceptor"/> that accepts and
/// drives connections in this process (every engine, and a forking worker), or the forking
/// parent's prefork pool, whose workers accept instead.
/// </summary>
internal interface IListenerService : IDisposable
{
    /// <summary>Starts serving from <paramref name="listener"/>; returns at once.</summary>
    void Start(Socket listener);

    /// <summary>Completes when no more connections will be taken.</summary>
    Task Stopped { get; }

    /// <summary>Stops taking connections; those being served carry on (graceful shutdown ends them).</summary>
    void StopAccepting();

    /// <summary>The server's options were replaced by <paramref name="options"/> (<see cref="Server.Reconfigure"/>): pass it on to whoever serves elsewhere. Nothing by default.</summary>
    void OnReconfigured(ServerOptions options)
    {
    }
}
