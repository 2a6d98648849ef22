using System.Reflection;

namespace Switchboard.Bench;

/// <summary>
/// Folds an engine's repeated runs (<c>--repeat</c>) into one result: each figure the median of
/// the complete runs, with its lowest and highest kept as the spread.
/// </summary>
internal static class RepeatedRuns
{
    // Every measured figure of a result: its numbers, whole or not, present or not.
    private static readonly PropertyInfo[] Figures = typeof(BenchResult).GetProperties()
        .Where(p => p.CanWrite && p.Name != nameof(BenchResult.Runs)
                    && (p.PropertyType == typeof(double) || p.PropertyType == typeof(double?) || p.PropertyType == typeof(long) || p.PropertyType == typeof(long?) || p.PropertyType == typeof(int?)))
        .ToArray();

    /// <summary>
    /// One result for <paramref name="runs"/>: the median of the complete ones; if none is
    /// complete, the last run as it is (failed, partial), since that is what there is to show.
    /// </summary>
    public static BenchResult Combine(IReadOnlyList<BenchResult> runs)
    {
        var complete = runs.Where(r => r.IsComplete).ToList();
        if (complete.Count == 0)
            return runs[^1];
        if (complete.Count == 1)
            return complete[0];

        var combined = complete[0] with { Runs = complete.Count };
        var spread = new Dictionary<string, FigureSpread>();
        foreach (var property in Figures)
        {
            var values = complete.Select(r => property.GetValue(r)).OfType<object>().Select(Convert.ToDouble).Order().ToArray();
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
