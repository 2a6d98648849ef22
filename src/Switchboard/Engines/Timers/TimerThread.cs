namespace Switchboard.Engines.Timers;

/// <summary>
/// One thread per server that fires the connection timers of the blocking and async engines, in
/// due order. Timer actions run inline on this thread (under their connection's gate): by the
/// contract they never block, and running them here keeps each connection's timers in order.
/// </summary>
internal sealed class TimerThread : ITimerScheduler, IDisposable
{
    private readonly TimerHeap _heap = new();
    private readonly object _lock = new();
    private readonly Thread _thread;
    private bool _stopped;

    public TimerThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public long Now => Clock.Now;

    public void Add(ConnectionTimer timer)
    {
        lock (_lock)
        {
            long? before = _heap.NextDue;
            _heap.Add(timer);
            if (before is null || timer.DueTicks < before)
                Monitor.Pulse(_lock);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            _heap.Clear();
            Monitor.Pulse(_lock);
        }

        if (Thread.CurrentThread != _thread)
            _thread.Join();
    }

    private void Run()
    {
        lock (_lock)
        {
            while (!_stopped)
            {
                long now = Clock.Now;
                if (_heap.TryTakeDue(now, out var timer))
                {
                    bool again;
                    Monitor.Exit(_lock);
                    try
                    {
                        again = timer.Fire(now);
                    }
                    finally
                    {
                        Monitor.Enter(_lock);
                    }

                    if (again && !_stopped)
                        _heap.Add(timer);
                    continue;
                }

                if (_heap.NextDue is { } due)
                    Monitor.Wait(_lock, WaitMilliseconds(due - now));
                else
                    Monitor.Wait(_lock);
            }
        }
    }

    private static int WaitMilliseconds(long ticks) =>
        (int)Math.Clamp(Math.Ceiling(Clock.ToTimeSpan(ticks).TotalMilliseconds), 1, int.MaxValue);
}
