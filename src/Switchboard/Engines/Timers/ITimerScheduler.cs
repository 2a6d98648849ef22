namespace Switchboard.Engines.Timers;

/// <summary>A clock and a queue of connection timers: a thread for the blocking and async engines, a loop's own heap for readiness engines, a manual clock in tests.</summary>
internal interface ITimerScheduler
{
    /// <summary>Now, in <see cref="Clock"/> ticks.</summary>
    long Now { get; }

    /// <summary>Queues <paramref name="timer"/>, whose <see cref="ConnectionTimer.DueTicks"/> is set. Thread-safe.</summary>
    void Add(ConnectionTimer timer);
}
