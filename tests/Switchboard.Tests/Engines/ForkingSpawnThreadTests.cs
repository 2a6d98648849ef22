using System.Diagnostics;
using Switchboard.Hosting;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// PR_SET_PDEATHSIG fires when the thread that started a child exits, not the process: workers
/// must be started from a thread that is never retired. Tested with a stand-in child that asks
/// for SIGTERM on its parent's death the same way a worker does (setpriv --pdeathsig), started
/// from a short-lived thread that then ends.
/// </summary>
public sealed class ForkingSpawnThreadTests
{
    [Fact]
    public async Task A_child_started_through_the_spawn_thread_outlives_the_thread_that_asked()
    {
        using var direct = StartFromEndedThread(start => Process.Start(start)!);
        using var spawned = StartFromEndedThread(start => SpawnThread.Run(() => Process.Start(start)!));

        // The control: started straight from the ended thread, it got SIGTERM when that thread exited.
        await direct.WaitForExitAsync().WaitAsync(Timeouts.Quick);
        Assert.False(spawned.HasExited, "the child started through the spawn thread got its parent-death signal");

        spawned.Kill();
        await spawned.WaitForExitAsync().WaitAsync(Timeouts.Quick);
    }

    /// <summary>
    /// Starts the stand-in child from a new thread, waits until it has asked for its signal, and
    /// lets the thread end. Whatever fails on that thread is handed back and rethrown here: thrown
    /// there, it would be unhandled and take the whole test host down.
    /// </summary>
    private static Process StartFromEndedThread(Func<ProcessStartInfo, Process> start)
    {
        // setpriv is util-linux's, which Debian marks essential: missing, the machine is not what CI runs on.
        Assert.True(
            File.Exists("/usr/bin/setpriv") || File.Exists("/bin/setpriv"),
            "setpriv (util-linux) is needed as the stand-in child, and it is not installed");
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { "--pdeathsig", "TERM", "sh", "-c", "echo ready; exec sleep 60" })
            info.ArgumentList.Add(argument);
        Process? child = null;
        string? firstLine = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                child = start(info);
                // Only once the child has run prctl may this thread end, or there is no signal to miss.
                firstLine = child.StandardOutput.ReadLine();
            }
#pragma warning disable CA1031 // Handed back to the test's thread, below.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Timeouts.Quick), "the child did not start");
        if (failure is not null)
            throw new InvalidOperationException("starting the stand-in child failed", failure);
        Assert.Equal("ready", firstLine);
        return child!;
    }
}
