using System.Globalization;

namespace Switchboard.Apps;

/// <summary>C's <c>asctime</c> format, as Python's <c>time.asctime()</c> prints it: <c>Wed Dec  2 09:05:07 2026</c>.</summary>
public static class Asctime
{
    /// <summary>Formats <paramref name="time"/>: weekday, month, day padded with a space to two places, time, year.</summary>
    /// <param name="time">The moment, in whatever zone it is to be shown.</param>
    public static string Format(DateTime time) =>
        string.Create(CultureInfo.InvariantCulture, $"{time:ddd MMM} {time.Day,2} {time:HH:mm:ss yyyy}");
}
