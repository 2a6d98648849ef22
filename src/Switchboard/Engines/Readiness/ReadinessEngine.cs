namespace Switchboard.Engines.Readiness;

/// <summary>The engines built on <see cref="ReadinessLoop"/>; they differ only in the multiplexer and the number of loops.</summary>
internal abstract class ReadinessEngine : Engine
{
    internal abstract IMultiplexer CreateMultiplexer();

    internal virtual int LoopCount(ServerOptions options) => 1;

    internal override Acceptor CreateAcceptor(ServerRuntime runtime) =>
        new ReadinessAcceptor(runtime, this, LoopCount(runtime.Options));
}
