using Switchboard.Engines.Uring;
using Switchboard.Interop;

namespace Switchboard.Engines;

/// <summary>
/// N loop threads (one per core unless <see cref="Loops"/> says), each over its own io_uring:
/// multishot accept and receive, provided receive buffers, one io_uring_enter per turn (Linux 6.0
/// or later, where io_uring is allowed: see <see cref="Engine.Support"/>).
/// </summary>
public sealed class UringEngine : Engine
{
    /// <summary>The most loops <see cref="Loops"/> may ask for.</summary>
    public const int MaxLoops = 256;

    /// <inheritdoc />
    public override string Name => "uring";

    /// <inheritdoc />
    public override string Summary => "a loop thread per core (--loops), each over its own io_uring(7)";

    private static readonly EngineSetting LoopsSetting =
        new("loops", "n", $"event loops (threads) to spread connections over, at most {MaxLoops}; 0 means one per core", "0");

    /// <summary>Event loops (threads) to spread connections over, at most <see cref="MaxLoops"/>; 0 (the default) means one per core.</summary>
    public int Loops { get; init; }

    /// <summary>
    /// Receive into whole buffers, one per completion, as on kernels before 6.12, even where the
    /// kernel consumes them incrementally: for the conformance suite to cover that path here.
    /// </summary>
    internal bool WholeReceiveBuffers { get; init; }

    /// <inheritdoc />
    public override IReadOnlyList<EngineSetting> Settings { get; } = [LoopsSetting];

    /// <inheritdoc />
    public override Engine WithSettings(IReadOnlyDictionary<string, string> values) =>
        new UringEngine { Loops = EngineSettingValues.Count(values, LoopsSetting, Loops), WholeReceiveBuffers = WholeReceiveBuffers };

    /// <inheritdoc />
    public override EngineSupport Support =>
        UringProbe.WhyUnavailable is { } why ? EngineSupport.Unsupported(why) : EngineSupport.Supported;

    /// <inheritdoc />
    public override void Validate()
    {
        if (Loops is < 0 or > MaxLoops)
            throw new ArgumentException($"--loops must be 0 (one per core) to {MaxLoops} (got {Loops})");
    }

    internal override IListenerService CreateListenerService(ServerRuntime runtime) =>
        new UringAcceptor(runtime, Name, Loops > 0 ? Loops : Environment.ProcessorCount, WholeReceiveBuffers);
}
