using Switchboard.Engines.Readiness;

namespace Switchboard.Engines;

/// <summary>One loop thread over <c>Socket.Select</c>: the seed's select server.</summary>
public sealed class SelectEngine : Engine, IReadinessEngine
{
    /// <inheritdoc />
    public override string Name => "select";

    /// <inheritdoc />
    public override string Summary => "one loop thread, Socket.Select (the seed's select server)";

    /// <inheritdoc />
    // The readiness loop reads, writes and accepts with Linux's recv/send/accept4 (Interop.SocketIo).
    public override EngineSupport Support =>
        OperatingSystem.IsLinux() ? EngineSupport.Supported : EngineSupport.Unsupported("the readiness loop calls Linux's accept4/recv/send; this is not Linux");

    IMultiplexer IReadinessEngine.CreateMultiplexer() => new SelectMultiplexer();

    internal override IListenerService CreateListenerService(ServerRuntime runtime) => new ReadinessAcceptor(runtime, this, loopCount: 1);
}
