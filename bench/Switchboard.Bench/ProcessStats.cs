using System.Globalization;

namespace Switchboard.Bench;

/// <summary>CPU time and memory of a process and its children, from /proc (Linux).</summary>
internal static class ProcessStats
{
    private const double TicksPerSecond = 100; // sysconf(_SC_CLK_TCK) on Linux

    /// <summary>User plus system CPU seconds of <paramref name="pid"/> and its live children (a forking server's workers).</summary>
    public static double CpuSeconds(int pid) => Family(pid).Sum(stat => stat.CpuTicks) / TicksPerSecond;

    /// <summary>
    /// Whether <paramref name="pid"/> or one of its live children (a forking server's workers) is
    /// stopped (state T, SIGSTOP; or t, traced): hung, not answering.
    /// </summary>
    public static bool AnyStopped(int pid) => Family(pid).Any(stat => stat.State is 'T' or 't');

    /// <summary>The /proc stat of <paramref name="pid"/> and of each of its live children.</summary>
    private static IEnumerable<(char State, int ParentPid, long CpuTicks)> Family(int pid)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int candidate)
                && ReadStat(candidate) is { } stat
                && (candidate == pid || stat.ParentPid == pid))
                yield return stat;
        }
    }

    /// <summary>Resident memory now, and at its peak, in bytes; zeros if the process is gone.</summary>
    public static (long Rss, long Peak) Memory(int pid)
    {
        long rss = 0, peak = 0;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = Kilobytes(line) * 1024;
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    peak = Kilobytes(line) * 1024;
            }
        }
        catch (IOException)
        {
            // it ended: nothing to read
        }

        return (rss, peak);
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static (char State, int ParentPid, long CpuTicks)? ReadStat(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the command: state(0) ppid(1) ... utime(11) stime(12)
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture),
                    long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
