using static Switchboard.Interop.Interop;

namespace Switchboard.Engines.Readiness;

/// <summary>N loop threads (one per core unless <see cref="ServerOptions.Loops"/> says), each over its own <c>epoll(7)</c> set.</summary>
internal sealed class EpollEngine : ReadinessEngine
{
    public override string Name => "epoll";

    public override string Summary => "a loop thread per core (--loops), epoll(7)";

    public override EngineSupport Support =>
        !OperatingSystem.IsLinux() ? EngineSupport.Unsupported("epoll(7) exists only on Linux")
        : !Epoll.LayoutMatchesThisMachine ? EngineSupport.Unsupported("struct epoll_event is laid out for x86-64 only; this machine is not x86-64")
        : EngineSupport.Supported;

    internal override IMultiplexer CreateMultiplexer() => new EpollMultiplexer();

    internal override int LoopCount(ServerOptions options) => options.Loops > 0 ? options.Loops : Environment.ProcessorCount;
}
