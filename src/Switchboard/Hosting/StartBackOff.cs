using Switchboard.Engines.Timers;

namespace Switchboard.Hosting;

/// <summary>
/// When the pool may try to start a worker again after failed starts: 1 s after the first, then
/// doubling up to 30 s, back to no wait once a worker comes up. Without it a worker that cannot
/// start (its program missing, a descriptor limit) was restarted in a tight loop, thousands of
/// times a second. Not thread-safe: used under the pool's lock.
/// </summary>
internal sealed class StartBackOff
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    private int _failures;
    private long _notBefore;

    /// <summary>How long until a start may be tried; zero when it may be tried now.</summary>
    public TimeSpan Remaining => _notBefore > Clock.Now ? Clock.ToTimeSpan(_notBefore - Clock.Now) : TimeSpan.Zero;

    /// <summary>A start failed: returns the wait before the next try.</summary>
    public TimeSpan Failed()
    {
        _failures++;
        double seconds = Math.Min(Cap.TotalSeconds, First.TotalSeconds * Math.Pow(2, Math.Min(_failures - 1, 16)));
        var delay = TimeSpan.FromSeconds(seconds);
        _notBefore = Clock.Now + Clock.ToTicks(delay);
        return delay;
    }

    /// <summary>A worker came up: starts are healthy again.</summary>
    public void Succeeded()
    {
        _failures = 0;
        _notBefore = 0;
    }
}
