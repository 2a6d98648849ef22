namespace Switchboard.Engines;

/// <summary>
/// A way of giving connections CPU time: iterative, threading, async, … Any protocol runs on any
/// engine unchanged. Get one by name from <see cref="EngineCatalog"/>, or make one with its own
/// settings (<c>new EpollEngine { Loops = 4 }</c>); what every engine honours is in
/// <see cref="ServerOptions"/>.
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

    /// <summary>The engine's own settings, as a command line offers them; none by default.</summary>
    public virtual IReadOnlyList<EngineSetting> Settings => [];

    /// <summary>
    /// An engine like this one with the <see cref="Settings"/> named in <paramref name="values"/>
    /// (by <see cref="EngineSetting.Name"/>) set from their text; names it does not have are
    /// ignored. Not validated: see <see cref="Validate"/>.
    /// </summary>
    /// <param name="values">Setting name to value, as typed.</param>
    /// <exception cref="ArgumentException">A value is not understood (one line, naming it).</exception>
    public virtual Engine WithSettings(IReadOnlyDictionary<string, string> values) => this;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first of the engine's own settings out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public virtual void Validate()
    {
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Where this process's connection ids count up from (exclusive): 0, so ids are 1, 2, 3, …,
    /// unless connections of one server are served by several processes, which must not hand out
    /// the same id (see <see cref="Protocols.IConnection.Id"/>).
    /// </summary>
    internal virtual long ConnectionIdBase => 0;

    /// <summary>
    /// Whether one process admits every connection, so that it can count them per address
    /// (<see cref="ServerOptions.MaxConnectionsPerAddress"/>, <see cref="ServerOptions.ConnectRatePerMinute"/>);
    /// a server on an engine that cannot refuses to start with those limits set.
    /// </summary>
    public virtual bool CanLimitPerAddress => true;

    /// <summary>
    /// Whether a server with <paramref name="options"/> serves in this process: always, but in a
    /// process that serves for another (a forking server's worker, started for one listener of its
    /// parent's, serves only that one).
    /// </summary>
    internal virtual bool ServesHere(ServerOptions options) => true;

    /// <summary>Opens the listening socket: bound here, unless the engine gets it some other way (a forking worker inherits it).</summary>
    internal virtual System.Net.Sockets.Socket OpenListener(ServerOptions options) => Listeners.Bind(options);

    /// <summary>Creates what serves the listening socket: an accept loop that drives connections, or a pool of processes that do.</summary>
    internal abstract IListenerService CreateListenerService(ServerRuntime runtime);
}
