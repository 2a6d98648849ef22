using static Switchboard.Interop.Interop;

namespace Switchboard.Engines.Forking;

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
    /// <summary>Descriptors never used for workers: lazily loaded assemblies, a worker's start, logging, shutdown.</summary>
    public const int Reserve = 8;

    /// <summary>How many more workers can start without eating into the reserve.</summary>
    public static int Room()
    {
        long free = (long)Math.Min(Limit, int.MaxValue) - Open - Reserve;
        return (int)Math.Clamp(free, 0, int.MaxValue);
    }

    /// <summary>The soft limit.</summary>
    public static ulong Limit => ResourceLimits.OpenFiles();

    /// <summary>Descriptors open now (listing /proc/self/fd opens one more, which is not counted).</summary>
    public static int Open => Directory.GetFiles("/proc/self/fd").Length - 1;
}
