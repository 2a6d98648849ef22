namespace Switchboard.Engines;

/// <summary>
/// Collapses repeats of a log line: the first of a kind is logged at once, further ones within
/// <see cref="Window"/> are only counted, and when the window ends the count is handed to the
/// summariser (<c>refused 520 connections (server full) in the last 10 s</c>). A kind that keeps
/// repeating gets one summary per window; one that stopped is forgotten, so its next occurrence
/// is logged at once again. Thread-safe.
/// </summary>
internal sealed class RepeatLimiter : IDisposable
{
    /// <summary>The window of the server's own log lines.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);

    // Kinds are a server's fixed reasons (a refusal's why, an accept's error): a few. Past this
    // many at once, lines are logged unlimited rather than kept track of.
    private const int MaxKinds = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Pending> _pending = [];
    private readonly Action<string, int, TimeSpan> _summarise;
    private readonly TimeProvider _clock;
    private bool _disposed;

    /// <param name="window">How long repeats of a kind are counted before they are summarised.</param>
    /// <param name="summarise">Given the kind, how many were not logged, and the time they were counted over (the window, or less at disposal); called outside the lock.</param>
    /// <param name="clock">The timers' clock: the system's by default.</param>
    public RepeatLimiter(TimeSpan window, Action<string, int, TimeSpan> summarise, TimeProvider? clock = null)
    {
        Window = window;
        _summarise = summarise;
        _clock = clock ?? TimeProvider.System;
    }

    public TimeSpan Window { get; }

    /// <summary>True if this occurrence of <paramref name="kind"/> should be logged now; false if it was counted for a summary.</summary>
    public bool ShouldLog(string kind)
    {
        lock (_lock)
        {
            if (_disposed || (!_pending.ContainsKey(kind) && _pending.Count >= MaxKinds))
                return true;
            if (_pending.TryGetValue(kind, out var pending))
            {
                pending.Count++;
                return false;
            }

            pending = new Pending { Started = _clock.GetTimestamp() };
            _pending[kind] = pending;
            pending.Timer = _clock.CreateTimer(static state => ((Action)state!)(), (Action)(() => WindowEnded(kind)), Window, Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    /// <summary>Summarises what is still counted and stops the timers.</summary>
    public void Dispose()
    {
        List<(string Kind, int Count, TimeSpan Over)> owed = [];
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var (kind, pending) in _pending)
            {
                pending.Timer?.Dispose();
                if (pending.Count > 0)
                    owed.Add((kind, pending.Count, _clock.GetElapsedTime(pending.Started)));
            }

            _pending.Clear();
        }

        foreach (var (kind, count, over) in owed)
            _summarise(kind, count, over);
    }

    private void WindowEnded(string kind)
    {
        int count;
        lock (_lock)
        {
            if (!_pending.TryGetValue(kind, out var pending))
                return;
            count = pending.Count;
            if (count == 0)
            {
                // Quiet for a whole window: the next one is news again.
                pending.Timer?.Dispose();
                _pending.Remove(kind);
                return;
            }

            pending.Count = 0;
            pending.Started = _clock.GetTimestamp();
            pending.Timer?.Change(Window, Timeout.InfiniteTimeSpan);
        }

        _summarise(kind, count, Window);
    }

    private sealed class Pending
    {
        public int Count;
        public long Started; // when this window began, in the clock's timestamps
        public ITimer? Timer;
    }
}
