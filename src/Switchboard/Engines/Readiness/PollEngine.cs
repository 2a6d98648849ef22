using Switchboard.Engines.Readiness;

namespace Switchboard.Engines;

/// <summary>One loop thread over <c>poll(2)</c>.</summary>
public sealed class PollEngine : Engine, IReadinessEngine
{
    /// <inheritdoc />
    public override string Name => "poll";

    /// <inheritdoc />
    public override string Summary => "one loop thread, poll(2)";

    /// <inheritdoc />
    public override EngineSupport Support =>
        OperatingSystem.IsLinux() ? EngineSupport.Supported : EngineSupport.Unsupported("poll(2) is called through Linux's libc; this is not Linux");

    IMultiplexer IReadinessEngine.CreateMultiplexer() => new PollMultiplexer();

    internal override IListenerService CreateListenerService(ServerRuntime runtime) => new ReadinessAcceptor(runtime, this, loopCount: 1);
}
