namespace Switchboard.Engines.Timers;

/// <summary>What a timer fires into: a connection, which serialises it with its other callbacks, or a readiness loop's own housekeeping.</summary>
internal interface ITimerOwner
{
    /// <summary>False once the owner is closed; periodic timers then stop.</summary>
    bool IsAlive { get; }

    void RunTimer(ConnectionTimer timer);
}
