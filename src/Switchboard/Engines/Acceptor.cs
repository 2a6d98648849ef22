using System.Net.Sockets;

namespace Switchboard.Engines;

/// <summary>An engine's accept loop and dispatch: takes connections from the listener and drives them.</summary>
internal abstract class Acceptor : IListenerService
{
    protected Acceptor(ServerRuntime runtime) => Runtime = runtime;

    protected ServerRuntime Runtime { get; }

    /// <summary>Starts accepting from <paramref name="listener"/>; returns at once.</summary>
    public abstract void Start(Socket listener);

    /// <summary>Completes when the accept loop has ended.</summary>
    public abstract Task Stopped { get; }

    /// <summary>Stops accepting and closes the listener; connections carry on.</summary>
    public abstract void StopAccepting();

    /// <summary>Releases what the engine holds (loop threads, say), after every connection has closed.</summary>
    public virtual void Dispose()
    {
    }
}
