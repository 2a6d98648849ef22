using System.Collections.Concurrent;

namespace Switchboard.Hosting;

/// <summary>
/// The one thread that starts every worker process. Why a thread of its own: a worker asks for
/// SIGTERM when its parent dies (PR_SET_PDEATHSIG), and Linux takes "parent" to be the thread
/// that forked it, not the process. A worker started from a thread-pool thread was therefore
/// shut down when that thread retired (about 20 s idle), cutting off its client. This thread is
/// never retired: it lives as long as the process, so a worker's life never depends on which
/// thread asked for it.
/// </summary>
internal static class SpawnThread
{
    private static readonly BlockingCollection<Action> Work = [];
    private static readonly Lazy<Thread> Thread = new(StartThread);

    /// <summary>Runs <paramref name="start"/> on the spawn thread and returns its result (or rethrows its exception).</summary>
    public static T Run<T>(Func<T> start)
    {
        _ = Thread.Value;
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Add(() =>
        {
            try
            {
                result.SetResult(start());
            }
#pragma warning disable CA1031 // Handed back to the caller, on its own thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                result.SetException(e);
            }
        });
        return result.Task.GetAwaiter().GetResult();
    }

    private static Thread StartThread()
    {
        var thread = new Thread(() =>
        {
            foreach (var start in Work.GetConsumingEnumerable())
                start();
        })
        {
            IsBackground = true,
            Name = "switchboard-spawn",
        };
        thread.Start();
        return thread;
    }
}
