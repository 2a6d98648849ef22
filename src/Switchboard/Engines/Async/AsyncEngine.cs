namespace Switchboard.Engines.Async;

/// <summary>.NET async sockets: no thread per connection; completions run on the thread pool.</summary>
internal sealed class AsyncEngine : Engine
{
    public override string Name => "async";

    public override string Summary => ".NET async sockets (the runtime's epoll thread and the thread pool)";

    internal override Acceptor CreateAcceptor(ServerRuntime runtime) => new AsyncAcceptor(runtime);
}
