using Switchboard.Engines.Async;

namespace Switchboard.Engines;

/// <summary>.NET async sockets: no thread per connection; completions run on the thread pool.</summary>
public sealed class AsyncEngine : Engine
{
    /// <inheritdoc />
    public override string Name => "async";

    /// <inheritdoc />
    public override string Summary => ".NET async sockets (the runtime's epoll thread and the thread pool)";

    internal override IListenerService CreateListenerService(ServerRuntime runtime) => new AsyncAcceptor(runtime);
}
