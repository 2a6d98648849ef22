using static Switchboard.Interop.Interop;

namespace Switchboard.Hosting;

/// <summary>
/// The process's descriptors against its limit (Linux). Both the connection budget
/// (the engines' ServerRuntime) and the forking pool's worker budget measure with it; each keeps
/// its own reserve, since they spend descriptors differently (see there).
/// </summary>
internal static class OpenDescriptors
{
    /// <summary>The soft limit (RLIMIT_NOFILE).</summary>
    public static ulong SoftLimit => ResourceLimits.OpenFiles();

    /// <summary>
    /// Descriptors open now, from /proc/self/fd (the listing's own not counted); null if they
    /// cannot be counted: the listing itself needs a descriptor, and fails at the limit.
    /// </summary>
    public static int? Count()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length - 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
