using System.Globalization;

namespace Switchboard.Bench;

/// <summary>How busy the machine is.</summary>
internal static class MachineLoad
{
    /// <summary>The one-minute load average from <c>/proc/loadavg</c>, or null where there is none.</summary>
    public static double? OneMinute()
    {
        try
        {
            string? first = File.ReadAllText("/proc/loadavg").Split(' ', 2)[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
