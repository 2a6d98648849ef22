namespace Switchboard.Engines.Blocking;

/// <summary>One connection at a time, served on the accept thread; the next waits in the backlog (the seed's delay server).</summary>
internal sealed class IterativeEngine : Engine
{
    public override string Name => "iterative";

    public override string Summary => "one connection at a time, blocking; the next client waits in the backlog";

    public override bool ServesConcurrently => false;

    internal override Acceptor CreateAcceptor(ServerRuntime runtime) => new IterativeAcceptor(runtime);
}
