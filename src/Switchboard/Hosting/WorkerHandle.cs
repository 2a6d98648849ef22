using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Switchboard.Engines.Timers;
using static Switchboard.Interop.Interop;

namespace Switchboard.Hosting;

/// <summary>The parent's handle on one worker: its process, its end of the control channel, and whether it is busy.</summary>
internal sealed class WorkerHandle : IDisposable
{
    private TimeSpan _reportedQuiet;
    private long _lastReport = Clock.Now;

    private WorkerHandle(Process process, Socket control, ILogger logger)
    {
        Process = process;
        Control = control;
        Channel = new WorkerChannel(process.Id, control, logger);
    }

    public Process Process { get; }

    public int Pid => Process.Id;

    /// <summary>The parent's end of the control channel.</summary>
    public Socket Control { get; }

    /// <summary>The shared-state channel to this worker, over <see cref="Control"/>.</summary>
    public WorkerChannel Channel { get; }

    public bool IsBusy { get; set; }

    /// <summary>The idle timeout the worker was started with (its own, for the rest of its life; zero: none), which its hang check uses.</summary>
    public TimeSpan IdleTimeout { get; set; }

    /// <summary>The worker reported it is up; until then its death counts as a failed start.</summary>
    public bool CameUp { get; set; }

    /// <summary>The pool killed it as hung; it is not judged again.</summary>
    public bool KilledAsHung { get; set; }

    /// <summary>How long its connection has been quiet, as of now: what it last reported, plus the time since.</summary>
    public TimeSpan QuietFor => _reportedQuiet + Clock.ToTimeSpan(Clock.Now - _lastReport);

    /// <summary>The worker reported its connection quiet for <paramref name="quiet"/> (zero when it takes one).</summary>
    public void Reported(TimeSpan quiet)
    {
        _reportedQuiet = quiet;
        _lastReport = Clock.Now;
    }

    /// <summary>The worker said it is exiting on its own (see <see cref="WorkerExit"/>).</summary>
    public bool SaidGoodbye { get; set; }

    /// <summary>Starts <paramref name="program"/> in worker mode, inheriting the listener (named <paramref name="listenerName"/>) and one end of a fresh control channel.</summary>
    public static WorkerHandle Start(Socket listener, string listenerName, Func<ProcessStartInfo> program, ILogger logger)
    {
        var (parentEnd, childEnd) = SocketPair.Create();
        try
        {
            int listenerFd = (int)listener.Handle;
            int childFd = (int)childEnd.Handle;
            var start = program();
            start.Environment[Prefork.WorkerEnvironmentVariable] = $"{listenerFd},{childFd},{Environment.ProcessId},{listenerName}";
            // On the spawn thread, which also makes spawns one at a time: while one worker's end of
            // its control channel is inheritable, no other worker may be started, or it would
            // inherit that descriptor too. The listener is inheritable only for the start, too:
            // a process the program starts for some other reason must not hold the port open
            // after the server has closed it (seen: a test's helper process kept it listening).
            Process process = SpawnThread.Run(() =>
            {
                Fcntl.SetCloseOnExec(childEnd.SafeHandle, false);
                Fcntl.SetCloseOnExec(listener.SafeHandle, false);
                try
                {
                    return Process.Start(start) ?? throw new InvalidOperationException("the worker process did not start");
                }
                finally
                {
                    Fcntl.SetCloseOnExec(listener.SafeHandle, true);
                }
            });

            return new WorkerHandle(process, parentEnd, logger);
        }
        catch
        {
            parentEnd.Dispose();
            throw;
        }
        finally
        {
            childEnd.Dispose(); // the worker has its own copy now
        }
    }

    /// <summary>Asks the worker to finish its connection's goodbyes and exit.</summary>
    public void Terminate() => ProcessControl.Signal(Pid, ProcessControl.SIGTERM);

    public void Kill() => ProcessControl.Signal(Pid, ProcessControl.SIGKILL);

    public void Dispose()
    {
        Channel.Complete();
        Control.Dispose();
        Process.Dispose();
    }
}
