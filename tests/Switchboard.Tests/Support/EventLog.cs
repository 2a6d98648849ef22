namespace Switchboard.Tests.Support;

/// <summary>Events recorded from server-side callbacks, and waits on them with a bound.</summary>
public sealed class EventLog<T>
{
    private readonly List<T> _events = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _events.Add(item);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_lock)
            return [.. _events];
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the events so far.</summary>
    public async Task<IReadOnlyList<T>> WaitUntilAsync(Func<IReadOnlyList<T>, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeouts.Quick);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (condition(_events))
                    return [.. _events];
                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"timed out waiting for {what ?? "events"}; saw: {string.Join(", ", Snapshot())}");
            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    public Task<IReadOnlyList<T>> WaitForCountAsync(int count, TimeSpan? timeout = null) =>
        WaitUntilAsync(e => e.Count >= count, timeout, $"{count} events");
}
