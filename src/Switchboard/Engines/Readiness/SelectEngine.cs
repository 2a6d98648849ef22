namespace Switchboard.Engines.Readiness;

/// <summary>One loop thread over <c>Socket.Select</c>: the seed's select server.</summary>
internal sealed class SelectEngine : ReadinessEngine
{
    public override string Name => "select";

    public override string Summary => "one loop thread, Socket.Select (the seed's select server)";

    // The readiness loop reads, writes and accepts with Linux's recv/send/accept4 (Interop.SocketIo).
    public override EngineSupport Support =>
        OperatingSystem.IsLinux() ? EngineSupport.Supported : EngineSupport.Unsupported("the readiness loop calls Linux's accept4/recv/send; this is not Linux");

    internal override IMultiplexer CreateMultiplexer() => new SelectMultiplexer();
}
