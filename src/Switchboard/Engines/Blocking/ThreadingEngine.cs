namespace Switchboard.Engines.Blocking;

/// <summary>A thread per connection, blocking reads (socketserver's <c>ThreadingMixIn</c>).</summary>
internal sealed class ThreadingEngine : Engine
{
    public override string Name => "threading";

    public override string Summary => "a thread per connection, blocking reads";

    internal override Acceptor CreateAcceptor(ServerRuntime runtime) => new ThreadingAcceptor(runtime);
}
