namespace Switchboard.Protocols;

/// <summary>
/// A connection whose idle timer a protocol can reset itself (see
/// <see cref="Protocol.ReportsOwnActivity"/>): every engine's connection is one.
/// </summary>
internal interface IActivityTracker
{
    /// <summary>Records activity now, for the idle timeout.</summary>
    void MarkActivity();
}
