using Switchboard.Engines.Blocking;

namespace Switchboard.Engines;

/// <summary>One connection at a time, served on the accept thread; the next waits in the backlog (the seed's delay server).</summary>
public sealed class IterativeEngine : Engine
{
    /// <inheritdoc />
    public override string Name => "iterative";

    /// <inheritdoc />
    public override string Summary => "one connection at a time, blocking; the next client waits in the backlog";

    /// <inheritdoc />
    public override bool ServesConcurrently => false;

    internal override IListenerService CreateListenerService(ServerRuntime runtime) => new IterativeAcceptor(runtime);
}
