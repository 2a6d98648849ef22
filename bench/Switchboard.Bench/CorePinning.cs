using System.Diagnostics;
using static Switchboard.Interop.Interop;

namespace Switchboard.Bench;

/// <summary>
/// Keeps the server and the load generator on different cores. Linux's affinity is per thread and
/// inherited by new threads: a process is pinned by pinning every thread it has now (its later
/// threads are created by pinned ones), and a server is pinned from birth by starting it under
/// <c>taskset</c>.
/// </summary>
internal static class CorePinning
{
    /// <summary>Pins every thread of this process to <paramref name="core"/>.</summary>
    public static void PinThisProcess(int core)
    {
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (int.TryParse(Path.GetFileName(task), out int tid))
                _ = Scheduling.PinThread(tid, core); // a thread that ended meanwhile is fine
        }
    }

    /// <summary>Wraps <paramref name="start"/> so that the process starts pinned to <paramref name="core"/>, with everything it starts.</summary>
    public static ProcessStartInfo Pinned(ProcessStartInfo start, int core)
    {
        var pinned = new ProcessStartInfo("taskset") { UseShellExecute = false };
        pinned.ArgumentList.Add("-c");
        pinned.ArgumentList.Add(core.ToString(System.Globalization.CultureInfo.InvariantCulture));
        pinned.ArgumentList.Add(start.FileName);
        foreach (string argument in start.ArgumentList)
            pinned.ArgumentList.Add(argument);
        foreach (var (key, value) in start.Environment)
            pinned.Environment[key] = value;
        return pinned;
    }
}
