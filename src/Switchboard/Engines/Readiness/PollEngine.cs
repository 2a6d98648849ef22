namespace Switchboard.Engines.Readiness;

/// <summary>One loop thread over <c>poll(2)</c>.</summary>
internal sealed class PollEngine : ReadinessEngine
{
    public override string Name => "poll";

    public override string Summary => "one loop thread, poll(2)";

    public override EngineSupport Support =>
        OperatingSystem.IsLinux() ? EngineSupport.Supported : EngineSupport.Unsupported("poll(2) is called through Linux's libc; this is not Linux");

    internal override IMultiplexer CreateMultiplexer() => new PollMultiplexer();
}
