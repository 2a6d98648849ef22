using System.CommandLine;
using System.Globalization;

namespace Switchboard.Cli;

/// <summary>Small helpers shared by the commands.</summary>
internal static class Cli
{
    /// <summary>
    /// The longest time any seconds option takes (about 11.6 days): well inside what TimeSpan, the
    /// timers, Task.WaitAsync (about 49 days) and a CancellationTokenSource (about 24 days) accept.
    /// </summary>
    public const double MaxSeconds = 1_000_000;

    /// <summary>Prints <c>switchboard: MESSAGE</c> on stderr and returns <paramref name="exitCode"/>.</summary>
    public static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"switchboard: {message}");
        return exitCode;
    }

    /// <summary>
    /// Reads an option given in seconds and checks it lies in [<paramref name="min"/>, <see cref="MaxSeconds"/>];
    /// otherwise <paramref name="error"/> names the option and the value as typed.
    /// </summary>
    public static bool TryGetSeconds(ParseResult parse, Option<double> option, double min, out TimeSpan value,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        double seconds = parse.GetValue(option);
        string got = seconds.ToString(CultureInfo.InvariantCulture);
        value = TimeSpan.Zero;
        error = null;
        if (!(seconds >= min)) // NaN too
            error = min == 0
                ? $"{option.Name} must be 0 or more seconds (got {got})"
                : $"{option.Name} must be at least {min.ToString(CultureInfo.InvariantCulture)} seconds (got {got})";
        else if (seconds > MaxSeconds)
            error = $"{option.Name} must be at most {MaxSeconds.ToString(CultureInfo.InvariantCulture)} seconds (got {got})";
        else
            value = TimeSpan.FromSeconds(seconds);
        return error is null;
    }
}
