using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>
/// A line of history as the line protocol replays it to a newcomer: <c>[HH:MM] LINE</c>, or
/// <c>[YYYY-MM-DD HH:MM] LINE</c> for a line from an earlier day (times UTC).
/// </summary>
internal static partial class ReplayedLine
{
    /// <summary>
    /// The line inside <paramref name="replayed"/>, after checking that its time lies between
    /// <paramref name="notBefore"/> (to the minute) and <paramref name="notAfter"/>; fails the test
    /// if it is not a replayed line or its time is outside.
    /// </summary>
    public static string Unwrap(string replayed, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var match = Form().Match(replayed);
        Assert.True(match.Success, $"not a replayed line: '{replayed}'");
        var time = TimeOnly.ParseExact(match.Groups["time"].Value, "HH:mm", CultureInfo.InvariantCulture);
        // Without a date it was said on the day it was replayed: the day the test began or ended.
        DateOnly[] days = match.Groups["date"].Success
            ? [DateOnly.ParseExact(match.Groups["date"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture)]
            : [DateOnly.FromDateTime(notBefore.UtcDateTime), DateOnly.FromDateTime(notAfter.UtcDateTime)];
        var from = notBefore.UtcDateTime.AddTicks(-(notBefore.UtcDateTime.Ticks % TimeSpan.TicksPerMinute));
        Assert.True(
            days.Any(day => day.ToDateTime(time) >= from && day.ToDateTime(time) <= notAfter.UtcDateTime),
            $"'{replayed}' is not stamped between {notBefore:u} and {notAfter:u}");
        return match.Groups["line"].Value;
    }

    [GeneratedRegex(@"^\[(?:(?<date>\d{4}-\d\d-\d\d) )?(?<time>\d\d:\d\d)\] (?<line>.+)$")]
    private static partial Regex Form();
}
