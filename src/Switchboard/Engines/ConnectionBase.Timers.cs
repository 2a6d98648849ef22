using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Engines;

// Timers: the protocol's (Schedule, Every), which run through the gate like any callback, and the
// engine's own (idle check, flush deadline, linger), which run outside it whatever the state.
//
// Invariants: a protocol timer never runs once the connection is closed (the gate checks), and a
// periodic one is not queued again then (ITimerOwner.IsAlive). _lastActivity is a time in the
// scheduler's clock, read and written without a lock (Volatile, one long): the idle check needs
// only some recent moment of traffic, not the very latest.
internal abstract partial class ConnectionBase
{
    private readonly ITimerScheduler _timers;
    private long _lastActivity;

    bool ITimerOwner.IsAlive => State != ConnectionState.Closed;

    /// <summary>When bytes last moved, in <see cref="ITimerScheduler.Now"/> ticks.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    public IDisposable Schedule(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return AddTimer(new ConnectionTimer(this, action, 0, isInternal: false), delay);
    }

    public IDisposable Every(TimeSpan period, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return AddTimer(new ConnectionTimer(this, action, Clock.ToTicks(period), isInternal: false), period);
    }

    void ITimerOwner.RunTimer(ConnectionTimer timer)
    {
        if (timer.IsInternal)
        {
            timer.Action();
            return;
        }

        RunCallback<TimerCallback, ConnectionTimer>(timer, openOnly: false);
    }

    /// <summary>Records traffic for the idle timeout.</summary>
    protected void MarkActivity() => Volatile.Write(ref _lastActivity, _timers.Now);

    void IActivityTracker.MarkActivity() => MarkActivity();

    /// <summary>Schedules an engine timer that runs regardless of state and outside the gate.</summary>
    protected ConnectionTimer ScheduleInternal(TimeSpan delay, Action action) =>
        AddTimer(new ConnectionTimer(this, action, 0, isInternal: true), delay);

    private ConnectionTimer AddTimer(ConnectionTimer timer, TimeSpan delay)
    {
        if (State == ConnectionState.Closed && !timer.IsInternal)
        {
            timer.Dispose();
            return timer;
        }

        timer.DueTicks = _timers.Now + Clock.ToTicks(delay);
        _timers.Add(timer);
        return timer;
    }

    private void CheckIdle()
    {
        if (State != ConnectionState.Open)
            return;
        var timeout = Options.IdleTimeout; // once: a reload may replace it meanwhile
        if (timeout <= TimeSpan.Zero)
            return; // turned off by a reload
        long idleFor = _timers.Now - Volatile.Read(ref _lastActivity);
        long limit = Clock.ToTicks(timeout);
        if (idleFor >= limit)
            Disconnect(DisconnectReason.IdleTimeout);
        else
            ScheduleInternal(Clock.ToTimeSpan(limit - idleFor), CheckIdle);
    }
}
