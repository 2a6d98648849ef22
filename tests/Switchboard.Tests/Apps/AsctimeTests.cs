using Switchboard.Apps;

namespace Switchboard.Tests.Apps;

public sealed class AsctimeTests
{
    [Theory]
    [InlineData(2026, 11, 24, 6, 31, 52, "Tue Nov 24 06:31:52 2026")]
    [InlineData(2026, 12, 2, 9, 5, 7, "Wed Dec  2 09:05:07 2026")]
    [InlineData(2000, 1, 1, 0, 0, 0, "Sat Jan  1 00:00:00 2000")]
    [InlineData(1999, 12, 31, 23, 59, 59, "Fri Dec 31 23:59:59 1999")]
    [InlineData(2024, 2, 29, 12, 0, 9, "Thu Feb 29 12:00:09 2024")]
    public void Formats_like_pythons_time_asctime(int year, int month, int day, int hour, int minute, int second, string expected)
    {
        Assert.Equal(expected, Asctime.Format(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified)));
    }
}
