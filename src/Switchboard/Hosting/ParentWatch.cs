using System.Runtime.InteropServices;
using static Switchboard.Interop.Interop;

namespace Switchboard.Hosting;

/// <summary>
/// In a worker: ends it (SIGTERM to itself, so it says goodbye to its client as at shutdown)
/// when its control channel to the parent closes because the parent died. PR_SET_PDEATHSIG also
/// covers the parent's death, but it follows the parent thread that started the worker, not the
/// process; the channel closes exactly when the parent's end does. A parent that drops the worker
/// for not reading its messages ends only its own sending side (<see cref="WorkerChannel"/>): the
/// worker sees that alone (POLLRDHUP without POLLHUP), and its connection ends as too slow, not
/// with a goodbye (<see cref="ParentChannel.Dropped"/>).
/// </summary>
internal static class ParentWatch
{
    public static void Start(SafeHandle control)
    {
        // Held for the life of the process: the watch ends only by ending the worker.
        bool added = false;
        control.DangerousAddRef(ref added);
        int fd = (int)control.DangerousGetHandle();
        var thread = new Thread(() => Watch(fd)) { IsBackground = true, Name = "switchboard-parent-watch" };
        thread.Start();
    }

    private static unsafe void Watch(int fd)
    {
        // Only hang-ups: POLLIN is left out, so messages waiting to be read do not wake this thread.
        var watched = new Poll.PollFd { Fd = fd, Events = Poll.POLLRDHUP };
        bool dropped;
        while (true)
        {
            watched.Revents = 0;
            int ready = Poll.Wait(&watched, 1, -1);
            if (ready < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR)
                continue;
            if (ready < 0 || (watched.Revents & (Poll.POLLRDHUP | Poll.POLLHUP | Poll.POLLERR | Poll.POLLNVAL)) != 0)
            {
                // Gone or closed, the parent's end is shut both ways (POLLHUP); dropped, only its sending side.
                dropped = ready > 0 && (watched.Revents & (Poll.POLLHUP | Poll.POLLERR | Poll.POLLNVAL)) == 0;
                break;
            }
        }

        if (dropped && Prefork.Parent?.Dropped() == true)
            return;
        ProcessControl.Signal(Environment.ProcessId, ProcessControl.SIGTERM);
    }
}
