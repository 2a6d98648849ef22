using System.Globalization;

namespace Switchboard.Bench;

/// <summary>How a result is marked wherever it is shown: table, summary line, plots.</summary>
internal static class ResultStatus
{
    /// <summary>A word or two: "failed", "partial", "not run", "one at a time"; "ok" for a complete run.</summary>
    public static string Short(BenchResult result) =>
        result.NotRun ? "not run"
        : result.Throttled ? "throttled"
        : result.Failure is not null ? "failed"
        : result.Partial ? "partial"
        : result.Iterative ? "one client at a time"
        : "ok";

    /// <summary>The table's note: what the word means for this row, or empty for a complete, ordinary run.</summary>
    public static string Note(BenchResult result, TimeSpan duration) =>
        result.NotRun ? "not run: interrupted before its turn"
        : result.Failure is { } failure ? (result.Throttled ? failure : $"failed: {failure}")
        : result.Partial ? $"partial: interrupted after {result.Seconds:0.0} s of {duration.TotalSeconds:0.#} s"
        : result.Iterative ? "serves one client at a time: the others wait in the backlog"
        : "";

    /// <summary>A figure with a unit's worth of digits: 1,234,567, 12,345, 123, 12.3, 1.23.</summary>
    public static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "N0" : Math.Abs(value) >= 10 ? "N1" : "N2", CultureInfo.InvariantCulture);
}
