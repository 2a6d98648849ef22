namespace Switchboard.Engines;

/// <summary>
/// A way of giving connections CPU time: iterative, threading, async, … Any protocol runs on any
/// engine unchanged. Get one by name from <see cref="EngineCatalog"/>.
/// </summary>
public abstract class Engine
{
    private protected Engine()
    {
    }

    /// <summary>The name users pick it by, e.g. "threading".</summary>
    public abstract string Name { get; }

    /// <summary>One line on how it serves connections.</summary>
    public abstract string Summary { get; }

    /// <summary>False for engines that serve one connection at a time (the others wait in the backlog).</summary>
    public virtual bool ServesConcurrently => true;

    /// <summary>Whether the engine can run on this machine, and if not, why. Engines never fall back silently.</summary>
    public virtual EngineSupport Support => EngineSupport.Supported;

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Opens the listening socket: bound here, unless the engine gets it some other way (a forking worker inherits it).</summary>
    internal virtual System.Net.Sockets.Socket OpenListener(ServerOptions options) => Listeners.Bind(options);

    /// <summary>Creates the part that accepts connections and drives them.</summary>
    internal abstract Acceptor CreateAcceptor(ServerRuntime runtime);
}
