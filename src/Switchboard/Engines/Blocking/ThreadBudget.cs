namespace Switchboard.Engines.Blocking;

/// <summary>
/// The threading engine's connection threads against the room <see cref="ThreadRoom"/> measures,
/// so that a flood of connections is refused one client at a time instead of taking the process
/// down with it. Measuring reads /proc, and the maps file grows with every thread, so the budget
/// measures again only when the threads started since the last measurement have used half the room
/// it found (a few dozen measurements on the way to tens of thousands of threads). When there was
/// no room, a thread that ends leaves its room to the next client, and the budget measures again
/// after a second.
/// </summary>
/// <remarks>
/// <see cref="TryStart"/> runs on the one accept thread; <see cref="Ended"/> on connection threads.
/// </remarks>
internal sealed class ThreadBudget(Func<ThreadRoom> measure, TimeProvider clock)
{
    private static readonly TimeSpan FullRecheck = TimeSpan.FromSeconds(1);

    private int _live;        // connection threads started and not yet ended
    private int _measureAt;   // _live at which to measure again (accept thread only)
    private bool _full;       // the last measurement found no room (accept thread only)
    private long _fullSince;  // when it found none

    public int Live => Volatile.Read(ref _live);

    /// <summary>The limit that left no room at the last refusal, for the log.</summary>
    public string? FullBecause { get; private set; }

    /// <summary>
    /// Counts a connection thread about to start if there is room for it; false (and nothing
    /// counted) if there is none. A true must be followed by <see cref="Ended"/> when the thread
    /// ends, or at once if it could not start.
    /// </summary>
    public bool TryStart()
    {
        int live = Live;
        if (live >= _measureAt && !HasRoom(live))
            return false;
        Interlocked.Increment(ref _live);
        return true;
    }

    public void Ended()
    {
        Interlocked.Decrement(ref _live);
    }

    private bool HasRoom(int live)
    {
        if (_full && live >= _measureAt && clock.GetElapsedTime(_fullSince) < FullRecheck)
            return false;
        var room = measure();
        if (room.Threads <= 0)
        {
            // A thread that ends frees its room (live drops below this); else measure again in a second.
            _measureAt = live;
            _full = true;
            _fullSince = clock.GetTimestamp();
            FullBecause = room.Limit;
            return false;
        }

        _full = false;
        FullBecause = null;
        _measureAt = live + Math.Max(1, room.Threads / 2);
        return true;
    }
}
