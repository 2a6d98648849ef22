namespace Switchboard.Engines.Readiness;

/// <summary>N loop threads (one per core unless <see cref="ServerOptions.Loops"/> says), each over its own <c>epoll(7)</c> set.</summary>
internal sealed class EpollEngine : ReadinessEngine
{
    public override string Name => "epoll";

    public override string Summary => "a loop thread per core (--loops), epoll(7)";

    public override EngineSupport Support =>
        OperatingSystem.IsLinux() ? EngineSupport.Supported : EngineSupport.Unsupported("epoll(7) exists only on Linux");

    internal override IMultiplexer CreateMultiplexer() => EpollMultiplexer.Create();

    internal override int LoopCount(ServerOptions options) => options.Loops > 0 ? options.Loops : Environment.ProcessorCount;
}
