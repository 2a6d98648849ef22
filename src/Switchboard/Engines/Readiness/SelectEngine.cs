namespace Switchboard.Engines.Readiness;

/// <summary>One loop thread over <c>Socket.Select</c>: the seed's select server.</summary>
internal sealed class SelectEngine : ReadinessEngine
{
    public override string Name => "select";

    public override string Summary => "one loop thread, Socket.Select (the seed's select server)";

    internal override IMultiplexer CreateMultiplexer() => new SelectMultiplexer();
}
