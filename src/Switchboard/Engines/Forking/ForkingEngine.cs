using System.Net.Sockets;

namespace Switchboard.Engines.Forking;

/// <summary>
/// A process per connection (socketserver's <c>ForkingMixIn</c>), done the way production forking
/// servers do it, since .NET cannot <c>fork()</c> a running runtime: a pool of worker processes
/// (Apache prefork). Workers inherit the listening socket and take turns accepting from it; each
/// serves one connection at a time. A worker that crashes takes down only its own connection.
/// </summary>
internal sealed class ForkingEngine : Engine
{
    public override string Name => "forking";

    public override string Summary => "a worker process per connection, from a prefork pool (--workers MIN..MAX)";

    public override EngineSupport Support =>
        OperatingSystem.IsLinux()
            ? EngineSupport.Supported
            : EngineSupport.Unsupported("workers inherit descriptors through Linux's fcntl and prctl; this is not Linux");

    internal override Socket OpenListener(ServerOptions options) =>
        ForkingWorker.Current is { } worker
            ? new Socket(new SafeSocketHandle(worker.ListenerFd, ownsHandle: true))
            : base.OpenListener(options);

    internal override Acceptor CreateAcceptor(ServerRuntime runtime) =>
        ForkingWorker.IsCurrentProcess ? new WorkerAcceptor(runtime) : new WorkerPool(runtime);
}
