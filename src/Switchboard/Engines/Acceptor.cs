using System.Net.Sockets;

namespace Switchboard.Engines;

/// <summary>An engine's accept loop and dispatch: takes connections from the listener and drives them.</summary>
internal abstract class Acceptor
{
    protected Acceptor(ServerRuntime runtime) => Runtime = runtime;

    protected ServerRuntime Runtime { get; }

    /// <summary>Starts accepting from <paramref name="listener"/>; returns at once.</summary>
    public abstract void Start(Socket listener);

    /// <summary>Completes when the accept loop has ended (the runtime disposes the listener to end it).</summary>
    public abstract Task Stopped { get; }
}
