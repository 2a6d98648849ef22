using Switchboard.Engines.Blocking;

namespace Switchboard.Engines;

/// <summary>A thread per connection, blocking reads (socketserver's <c>ThreadingMixIn</c>).</summary>
public sealed class ThreadingEngine : Engine
{
    /// <inheritdoc />
    public override string Name => "threading";

    /// <inheritdoc />
    public override string Summary => "a thread per connection, blocking reads";

    internal override IListenerService CreateListenerService(ServerRuntime runtime) => new ThreadingAcceptor(runtime);
}
