namespace Switchboard.Engines.Timers;

/// <summary>
/// Timers ordered by due time, ties broken by the order they were added, so that timers of one
/// connection fire in the order they were asked for. Not thread-safe.
/// </summary>
internal sealed class TimerHeap
{
    private readonly PriorityQueue<ConnectionTimer, (long Due, long Sequence)> _queue = new();
    private long _sequence;

    public int Count => _queue.Count;

    public void Add(ConnectionTimer timer) => _queue.Enqueue(timer, (timer.DueTicks, _sequence++));

    /// <summary>The earliest due time, or null when empty.</summary>
    public long? NextDue => _queue.TryPeek(out _, out var priority) ? priority.Due : null;

    public bool TryTakeDue(long now, out ConnectionTimer timer)
    {
        if (_queue.TryPeek(out timer!, out var priority) && priority.Due <= now)
        {
            _queue.Dequeue();
            return true;
        }

        timer = null!;
        return false;
    }

    public void Clear() => _queue.Clear();
}
