using System.Globalization;

namespace Switchboard.Hosting;

/// <summary>
/// Keeps the parent clear of its descriptor limit. Each worker costs the parent one descriptor
/// for good (its end of the control channel) and four while it starts (the new socket pair and
/// .NET's exec-status pipe). Reaching the limit is worse than refusing a worker: the runtime
/// opens assemblies lazily (two descriptors each), and when that fails it aborts the whole
/// process with "Out of memory." So the pool keeps <see cref="Reserve"/> descriptors free at all
/// times, and caps its ceiling to what the limit allows once its first worker is up (that start
/// loads the assemblies process starting needs, a dozen descriptors the pool cannot know before).
/// </summary>
internal static class DescriptorBudget
{
    /// <summary>
    /// Descriptors never used for workers: lazily loaded assemblies, a worker's start, logging,
    /// shutdown. Fewer than the connection budget's 64: the pool spends descriptors one start at
    /// a time, under its lock, measuring before each, where accepts come in bursts on many threads.
    /// </summary>
    public const int Reserve = 8;

    /// <summary>
    /// Counts the open descriptors once (listing /proc/self/fd), for one decision and its log
    /// line. If they cannot be counted (the listing itself needs a descriptor, and fails at the
    /// limit), <see cref="Snapshot.Open"/> is null and there is no room.
    /// </summary>
    public static Snapshot Measure() => new(OpenDescriptors.SoftLimit, OpenDescriptors.Count());

    /// <summary>One measurement: the soft limit and the descriptors open (null: could not count).</summary>
    public readonly record struct Snapshot(ulong Limit, int? Open)
    {
        /// <summary>How many more workers can start without eating into the reserve.</summary>
        public int Room => Open is { } open
            ? (int)Math.Clamp((long)Math.Min(Limit, int.MaxValue) - open - Reserve, 0, int.MaxValue)
            : 0;

        /// <summary><see cref="Open"/> for a log line.</summary>
        public string OpenText => Open?.ToString(CultureInfo.InvariantCulture) ?? "an unknown number of";
    }
}
