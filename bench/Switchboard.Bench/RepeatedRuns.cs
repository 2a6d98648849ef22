using System.Reflection;

namespace Switchboard.Bench;

/// <summary>
/// Folds an engine's repeated runs (<c>--repeat</c>) into one result: each figure the median of
/// the runs, with its lowest and highest kept as the spread, when every run is complete.
/// </summary>
internal static class RepeatedRuns
{
    // Every measured figure of a result: its numbers, whole or not, present or not.
    private static readonly PropertyInfo[] Figures = typeof(BenchResult).GetProperties()
        .Where(p => p.CanWrite && p.Name != nameof(BenchResult.Runs)
                    && (p.PropertyType == typeof(double) || p.PropertyType == typeof(double?) || p.PropertyType == typeof(long) || p.PropertyType == typeof(long?) || p.PropertyType == typeof(int?)))
        .ToArray();

    /// <summary>
    /// One result for <paramref name="runs"/>: their median if every one is complete; otherwise
    /// the first run that is not (failed, throttled or partial), as it is, so that it is seen.
    /// </summary>
    public static BenchResult Combine(IReadOnlyList<BenchResult> runs)
    {
        // A run that failed, was throttled or was interrupted is what the row shows, saying which
        // run it was: the figures of the complete runs before it would hide it.
        for (int i = 0; i < runs.Count; i++)
        {
            if (!runs[i].IsComplete)
                return runs.Count == 1 || runs[i].Failure is not { } failure ? runs[i] : runs[i] with { Failure = $"{failure} (run {i + 1})" };
        }

        if (runs.Count == 1)
            return runs[0];

        var combined = runs[0] with { Runs = runs.Count };
        var spread = new Dictionary<string, FigureSpread>();
        foreach (var property in Figures)
        {
            var values = runs.Select(r => property.GetValue(r)).OfType<object>().Select(Convert.ToDouble).Order().ToArray();
            if (values.Length == 0)
                continue;
            double median = values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
            property.SetValue(combined, ConvertTo(median, property.PropertyType));
            spread[property.Name] = new FigureSpread(values[0], values[^1]);
        }

        return combined with { Spread = spread };
    }

    private static object ConvertTo(double value, Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(long) => (object)(long)Math.Round(value),
            var t when t == typeof(int) => (object)(int)Math.Round(value),
            _ => (object)value,
        };
}
