namespace Switchboard.Engines;

/// <summary>Whether an engine runs on this machine.</summary>
/// <param name="IsSupported">True if it runs here.</param>
/// <param name="Reason">Why not, when it does not; null otherwise.</param>
public sealed record EngineSupport(bool IsSupported, string? Reason)
{
    /// <summary>The engine runs here.</summary>
    public static EngineSupport Supported { get; } = new(true, null);

    /// <summary>The engine cannot run here, for <paramref name="reason"/>.</summary>
    /// <param name="reason">One line a user can act on.</param>
    public static EngineSupport Unsupported(string reason) => new(false, reason);
}
