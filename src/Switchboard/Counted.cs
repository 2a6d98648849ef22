using System.Globalization;

namespace Switchboard;

/// <summary>A count with its noun in the right number, for messages: <c>1 connection</c>, <c>2 connections</c>.</summary>
internal static class Counted
{
    /// <summary><paramref name="count"/> <paramref name="noun"/>, with an s unless it is 1.</summary>
    public static string Of(long count, string noun) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? noun : noun + "s");
}
