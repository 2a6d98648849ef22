using Switchboard.Diagnostics;

namespace Switchboard.Engines.Timers;

/// <summary>
/// One timer of one connection. Cancelling only marks it; the queue that holds it drops it when
/// it comes due (lazy deletion keeps every queue a plain heap).
/// </summary>
internal sealed class ConnectionTimer : IDisposable
{
    private volatile bool _cancelled;

    public ConnectionTimer(ITimerOwner owner, Action action, long periodTicks, bool isInternal)
    {
        Owner = owner;
        Action = action;
        PeriodTicks = periodTicks;
        IsInternal = isInternal;
    }

    public ITimerOwner Owner { get; }

    public Action Action { get; }

    /// <summary>Zero for a one-shot timer; otherwise the period in <see cref="Clock"/> ticks.</summary>
    public long PeriodTicks { get; }

    /// <summary>
    /// Internal timers (idle checks, close deadlines) belong to the engine, not the protocol: they
    /// run whatever the connection's state and outside its callback gate.
    /// </summary>
    public bool IsInternal { get; }

    /// <summary>When the timer is next due, in <see cref="Clock"/> ticks. Written only by the queue holding it.</summary>
    public long DueTicks { get; set; }

    public bool IsCancelled => _cancelled;

    public void Dispose() => _cancelled = true;

    /// <summary>Runs the timer through its owner, and reports whether it should be queued again.</summary>
    public bool Fire(long now)
    {
        if (_cancelled)
            return false;
        if (!IsInternal && ServerMetrics.TimerLateness.Enabled)
            ServerMetrics.TimerLateness.Record(Clock.ToTimeSpan(Math.Max(0, now - DueTicks)).TotalSeconds);
        Owner.RunTimer(this);
        if (PeriodTicks == 0 || _cancelled || !Owner.IsAlive)
            return false;

        // Fixed rate; ticks that fell behind (a stalled machine) are skipped, not bunched.
        DueTicks += PeriodTicks;
        if (DueTicks <= now)
            DueTicks += ((now - DueTicks) / PeriodTicks + 1) * PeriodTicks;
        return true;
    }
}
