using System.Globalization;
using Switchboard.Interop;

namespace Switchboard.Engines.Blocking;

/// <summary>
/// How many more threads this process can start before one of the kernel's limits on creating a
/// thread stops it (Linux), with reserves kept for the runtime's own threads and mappings, and
/// which limit is the nearest. Four limits apply: memory mappings (<c>vm.max_map_count</c>; a
/// thread costs about <see cref="MappingsPerThread"/>), the control group's tasks (<c>pids.max</c>:
/// systemd's <c>TasksMax</c>, a container's limit), the user's processes (<c>ulimit -u</c>), and
/// the system's threads (<c>kernel.threads-max</c>). Past any of them the runtime does not fail one
/// thread start cleanly: it may abort the whole process ("Out of memory."). Elsewhere than Linux
/// there is nothing to measure and the room is unlimited.
/// </summary>
internal readonly record struct ThreadRoom(int Threads, string Limit)
{
    /// <summary>Mappings a connection thread costs (stack, guard page, and the runtime's per-thread data): measured, 65,530 mappings at ~16,280 threads.</summary>
    public const int MappingsPerThread = 4;

    /// <summary>Threads never spent on connections: the runtime's own (GC, thread pool, timers) start late and must not fail.</summary>
    public const int ReserveThreads = 64;

    /// <summary>Mappings never spent on threads: the GC heap and assemblies loaded late grow the map.</summary>
    public const int ReserveMappings = 2048;

    public static readonly ThreadRoom Unlimited = new(int.MaxValue, "none");

    /// <summary>
    /// Measures every limit now (reads /proc and /sys; the maps file is long with many threads, so
    /// not per accept). What cannot be read does not limit: a measurement never fails the accept.
    /// </summary>
    public static ThreadRoom Measure()
    {
        if (!OperatingSystem.IsLinux())
            return Unlimited;
        try
        {
            return MeasureLinux();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return Unlimited; // getrlimit failed: nothing to go by
        }
    }

    private static ThreadRoom MeasureLinux()
    {
        var room = Unlimited;
        room = Nearest(room, MappingRoom(), "vm.max_map_count");
        room = Nearest(room, ControlGroupRoom(), "the control group's pids.max");
        room = Nearest(room, UserProcessRoom(), "ulimit -u");
        room = Nearest(room, SystemThreadRoom(), "kernel.threads-max");
        return room;
    }

    private static ThreadRoom Nearest(ThreadRoom room, long? threads, string limit) =>
        threads is { } t && t < room.Threads ? new ThreadRoom((int)Math.Max(0, t), limit) : room;

    private static long? MappingRoom()
    {
        if (ReadNumber("/proc/sys/vm/max_map_count") is not { } max)
            return null;
        long mappings = CountLines("/proc/self/maps");
        return (max - mappings - ReserveMappings) / MappingsPerThread;
    }

    private static long? UserProcessRoom()
    {
        // The limit counts every process of the user, which this process cannot see; its own
        // threads are a lower bound, so this only ever errs towards starting a thread the kernel
        // refuses. The kernel does not hold root to it (CAP_SYS_RESOURCE), so neither does this.
        if (Environment.IsPrivilegedProcess || Interop.Interop.ResourceLimits.Processes() is not { } max || ThreadsOfThisProcess() is not { } threads)
            return null;
        return (long)Math.Min(max, long.MaxValue) - threads - ReserveThreads;
    }

    private static long? SystemThreadRoom()
    {
        // /proc/loadavg's fourth field is RUNNING/ALL scheduling entities, i.e. threads, system-wide.
        if (ReadNumber("/proc/sys/kernel/threads-max") is not { } max || ReadText("/proc/loadavg") is not { } loadavg)
            return null;
        string[] fields = loadavg.Split(' ');
        int slash = fields.Length > 3 ? fields[3].IndexOf('/', StringComparison.Ordinal) : -1;
        if (slash < 0 || !long.TryParse(fields[3].AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long all))
            return null;
        return max - all - ReserveThreads;
    }

    /// <summary>The tightest <c>pids.max</c> of this process's control group and its ancestors (cgroup v2 or v1).</summary>
    private static long? ControlGroupRoom()
    {
        if (ReadText("/proc/self/cgroup") is not { } groups)
            return null;
        long? room = null;
        foreach (string line in groups.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "0::/path" (v2) or "N:pids:/path" (v1; the controller list may name several)
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3)
                continue;
            string? root = parts[1].Length == 0 ? "/sys/fs/cgroup" : parts[1].Split(',').Contains("pids") ? "/sys/fs/cgroup/pids" : null;
            if (root is null)
                continue;
            for (string? dir = root + parts[2].TrimEnd('/'); dir is not null && dir.StartsWith(root, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir))
            {
                if (ReadNumber(Path.Combine(dir, "pids.max")) is { } max && ReadNumber(Path.Combine(dir, "pids.current")) is { } current)
                    room = Math.Min(room ?? long.MaxValue, max - current - ReserveThreads);
            }
        }

        return room;
    }

    private static long? ThreadsOfThisProcess()
    {
        if (ReadText("/proc/self/status") is not { } status)
            return null;
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal) && long.TryParse(line.AsSpan(8).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long threads))
                return threads;
        }

        return null;
    }

    // "max" (no limit) and anything unreadable are null.
    private static long? ReadNumber(string path) =>
        ReadText(path) is { } text && long.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long CountLines(string path)
    {
        try
        {
            long lines = 0;
            using var reader = new StreamReader(path);
            while (reader.ReadLine() is not null)
                lines++;
            return lines;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
