using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Switchboard.Cli;

/// <summary>
/// A length of time as written on a command line: plain seconds (<c>2.5</c>) or a number with a
/// unit, <c>ms</c>, <c>s</c>, <c>m</c> or <c>h</c> (<c>500ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>).
/// Shown the same way (<c>5s</c>), so a default in <c>--help</c> reads like what a user types.
/// Shared as source with the benchmark (<c>switchboard-bench</c>).
/// </summary>
internal readonly record struct Duration(double Seconds) : IComparable<Duration>
{
    /// <summary>What to write instead of a bad duration, for error messages.</summary>
    public const string Hint = "write e.g. 10s, 500ms, 5m or 2.5 (seconds)";

    /// <summary>
    /// The longest duration any option takes (about 11.6 days): well inside what TimeSpan, the
    /// timers, Task.WaitAsync (about 49 days) and a CancellationTokenSource (about 24 days) accept.
    /// </summary>
    public static readonly Duration Max = new(1_000_000);

    public static readonly Duration Zero = new(0);

    private static readonly (string Suffix, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];

    public TimeSpan ToTimeSpan() => TimeSpan.FromSeconds(Seconds);

    public static Duration FromTimeSpan(TimeSpan value) => new(value.TotalSeconds);

    /// <summary>
    /// Reads <paramref name="text"/>: a finite number, optionally followed by <c>ms</c>, <c>s</c>,
    /// <c>m</c> or <c>h</c> (any case); without a unit it is seconds. Out of range is for the caller to judge.
    /// </summary>
    public static bool TryParse(string? text, out Duration duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        double unit = 1;
        // "ms" before "m" and "s": the longest suffix that matches.
        foreach (var (suffix, seconds) in Units.OrderByDescending(u => u.Suffix.Length))
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                text = text[..^suffix.Length];
                unit = seconds;
                break;
            }
        }

        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number * unit))
            return false;
        duration = new Duration(number * unit);
        return true;
    }

    /// <summary>The largest unit that shows it exactly: <c>1h</c>, <c>5m</c>, <c>90s</c>, <c>1.5s</c>, <c>500ms</c>.</summary>
    public override string ToString()
    {
        if (Seconds == 0)
            return "0s";
        if (Math.Abs(Seconds) < 1)
            return Format(Seconds * 1000, "ms");
        foreach (var (suffix, seconds) in Units.Reverse())
        {
            double count = Seconds / seconds;
            if (seconds >= 1 && count == Math.Round(count))
                return Format(count, suffix);
        }

        return Format(Seconds, "s");
    }

    public int CompareTo(Duration other) => Seconds.CompareTo(other.Seconds);

    public static bool operator <(Duration left, Duration right) => left.Seconds < right.Seconds;

    public static bool operator >(Duration left, Duration right) => left.Seconds > right.Seconds;

    public static bool operator <=(Duration left, Duration right) => left.Seconds <= right.Seconds;

    public static bool operator >=(Duration left, Duration right) => left.Seconds >= right.Seconds;

    private static string Format(double count, string suffix) =>
        Math.Round(count, 3).ToString("0.###", CultureInfo.InvariantCulture) + suffix;
}

/// <summary>
/// Options that take a <see cref="Duration"/>, checked while the command line is parsed: a bad
/// one is one line naming the flag as typed, e.g.
/// <c>--interval: bad duration '5x': write e.g. 10s, 500ms, 5m or 2.5 (seconds)</c> or
/// <c>--interval must be at least 1ms (got 0)</c>.
/// </summary>
internal static class DurationOption
{
    /// <summary>
    /// An option of a duration from <paramref name="min"/> to <see cref="Duration.Max"/>.
    /// <paramref name="zeroMeans"/>, when 0 is allowed and means something ("never", "no limit"), is said in the error.
    /// </summary>
    public static Option<Duration> Create(string name, string description, Duration defaultValue, Duration min,
        string? zeroMeans = null, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => Parse(result, name, min, zeroMeans),
            HelpName = "time",
        };

    private static Duration Parse(ArgumentResult result, string name, Duration min, string? zeroMeans)
    {
        string flag = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? name;
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (!Duration.TryParse(text, out var duration))
        {
            result.AddError($"{flag}: bad duration '{text}': {Duration.Hint}");
            return default;
        }

        if (duration < min)
        {
            string least = min.Seconds == 0 ? zeroMeans is null ? "0 or more" : $"0 ({zeroMeans}) or more" : $"at least {min}";
            result.AddError($"{flag} must be {least} (got {text})");
        }
        else if (duration > Duration.Max)
        {
            result.AddError($"{flag} must be at most {Duration.Max} (got {text})");
        }

        return duration;
    }
}
