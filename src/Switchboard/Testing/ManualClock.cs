using Switchboard.Engines.Timers;

namespace Switchboard.Testing;

/// <summary>A clock that moves only when told to, firing due timers in order on the caller's thread.</summary>
internal sealed class ManualClock : ITimerScheduler
{
    private readonly TimerHeap _heap = new();
    private readonly Lock _lock = new();

    public long Now { get; private set; }

    public void Add(ConnectionTimer timer)
    {
        lock (_lock)
            _heap.Add(timer);
    }

    public void Advance(TimeSpan by)
    {
        long target = Now + Clock.ToTicks(by);
        while (true)
        {
            ConnectionTimer timer;
            lock (_lock)
            {
                if (_heap.NextDue is not { } due || due > target)
                    break;
                Now = Math.Max(Now, due);
                _heap.TryTakeDue(Now, out timer);
            }

            if (timer.Fire(Now))
                Add(timer);
        }

        Now = target;
    }
}
