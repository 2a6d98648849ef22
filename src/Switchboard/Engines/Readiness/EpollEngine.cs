using Switchboard.Engines.Readiness;

namespace Switchboard.Engines;

/// <summary>N loop threads (one per core unless <see cref="Loops"/> says), each over its own <c>epoll(7)</c> set.</summary>
public sealed class EpollEngine : Engine, IReadinessEngine
{
    /// <summary>The most loops <see cref="Loops"/> may ask for.</summary>
    public const int MaxLoops = 256;

    /// <inheritdoc />
    public override string Name => "epoll";

    /// <inheritdoc />
    public override string Summary => "a loop thread per core (--loops), epoll(7)";

    private static readonly EngineSetting LoopsSetting =
        new("loops", "n", $"event loops (threads) to spread connections over, at most {MaxLoops}; 0 means one per core", "0");

    /// <summary>Event loops (threads) to spread connections over, at most <see cref="MaxLoops"/>; 0 (the default) means one per core.</summary>
    public int Loops { get; init; }

    /// <inheritdoc />
    public override IReadOnlyList<EngineSetting> Settings { get; } = [LoopsSetting];

    /// <inheritdoc />
    public override Engine WithSettings(IReadOnlyDictionary<string, string> values) =>
        new EpollEngine { Loops = EngineSettingValues.Count(values, LoopsSetting, Loops) };

    /// <inheritdoc />
    public override EngineSupport Support =>
        OperatingSystem.IsLinux() ? EngineSupport.Supported : EngineSupport.Unsupported("epoll(7) exists only on Linux");

    /// <inheritdoc />
    public override void Validate()
    {
        if (Loops is < 0 or > MaxLoops)
            throw new ArgumentException($"--loops must be 0 (one per core) to {MaxLoops} (got {Loops})");
    }

    IMultiplexer IReadinessEngine.CreateMultiplexer() => EpollMultiplexer.Create();

    internal override IListenerService CreateListenerService(ServerRuntime runtime) =>
        new ReadinessAcceptor(runtime, this, Loops > 0 ? Loops : Environment.ProcessorCount);
}
