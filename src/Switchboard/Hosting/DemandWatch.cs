using System.Net.Sockets;
using static Switchboard.Interop.Interop;

namespace Switchboard.Hosting;

/// <summary>
/// Starts prefork workers as fast as clients arrive. Keeping <see cref="PreforkPoolSettings.MinSpare"/>
/// idle workers serves a steady trickle, but a burst (20 clients connecting at once) would then be
/// served two workers at a time, each start a process's start-up, so the last client waited for
/// ten of them in turn. This thread waits until a client is in the listening socket's accept
/// queue, reads how many are (<see cref="TcpState.AcceptQueueLength"/>), and tells the pool, which
/// starts a worker for every client beyond the workers not yet busy, as many at once as the
/// machine has cores (a start is CPU-bound: more at once would only slow each). It looks again
/// <see cref="Recheck"/> later while clients still wait (workers take time to come up, and their
/// reports to arrive), so it never spins on a queue the workers have not emptied yet.
/// </summary>
/// <remarks>
/// The listener is non-blocking and shared with the workers, which poll it too: a client a worker
/// takes between the wake-up and the count is simply not counted. Counts only ever fall short
/// (a worker that has just accepted, but whose report has not arrived, still counts as free), so
/// the pool never starts more workers than clients are waiting; the next look makes up the rest.
/// </remarks>
internal sealed class DemandWatch : IDisposable
{
    /// <summary>How long after telling the pool the watch looks at the queue again.</summary>
    public static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(20);

    // How often a quiet watch wakes to notice it was disposed.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly Socket _listener;
    private readonly Action<int> _waiting;
    private readonly ManualResetEventSlim _disposed = new();

    /// <param name="listener">The listening socket the workers share.</param>
    /// <param name="waiting">Told how many clients wait in the accept queue (at least one), on the watch's thread.</param>
    private DemandWatch(Socket listener, Action<int> waiting)
    {
        _listener = listener;
        _waiting = waiting;
    }

    /// <summary>Starts a watch on <paramref name="listener"/>, or null where the accept queue cannot be read (not Linux).</summary>
    public static DemandWatch? Start(Socket listener, Action<int> waiting)
    {
        if (TcpState.AcceptQueueLength(listener) is null)
            return null;
        var watch = new DemandWatch(listener, waiting);
        new Thread(watch.Run) { IsBackground = true, Name = "switchboard-demand-watch" }.Start();
        return watch;
    }

    public void Dispose() => _disposed.Set();

    private void Run()
    {
        try
        {
            while (!_disposed.IsSet)
            {
                if (!_listener.Poll(PollInterval, SelectMode.SelectRead))
                    continue;
                if (TcpState.AcceptQueueLength(_listener) is > 0 and int waiting)
                    _waiting(waiting);
                _disposed.Wait(Recheck); // a client still waiting keeps the listener readable: look again only after a while
            }
        }
        catch (ObjectDisposedException)
        {
            // The pool closed the listener: it has stopped.
        }
        catch (SocketException)
        {
            // The listener failed: the workers see it too; the pool's spares still serve what they can.
        }
    }
}
