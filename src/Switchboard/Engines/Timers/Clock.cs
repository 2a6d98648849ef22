using System.Diagnostics;

namespace Switchboard.Engines.Timers;

/// <summary>Monotonic time in <see cref="Stopwatch"/> ticks, and conversions.</summary>
internal static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static long ToTicks(TimeSpan span) =>
        span <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(span.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan ToTimeSpan(long ticks) => Stopwatch.GetElapsedTime(0, ticks);
}
