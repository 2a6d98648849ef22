using System.Globalization;

namespace Switchboard.Bench;

/// <summary>
/// The line under the table: each engine's main figure as a ratio to the best engine's. Only
/// complete runs of engines that serve clients concurrently, with a figure above zero, are
/// ranked; the others are named with why they are left out. There is always a line, saying so
/// when fewer than two engines can be ranked.
/// </summary>
internal static class RatioSummary
{
    public static string Describe(string scenario, IReadOnlyList<BenchResult> results)
    {
        var figure = Figure.MainOf(scenario);
        var ranked = results.Where(r => r.IsComplete && !r.Iterative && figure.Value(r) is > 0).ToList();
        var left = results.Where(r => !ranked.Contains(r))
            .Select(r => $"{r.Engine} ({(r.IsComplete && !r.Iterative ? "no figure: too short a run to measure it" : ResultStatus.Short(r))})")
            .ToList();
        string notRanked = left.Count == 0 ? "" : $"; not ranked: {string.Join(", ", left)}";
        if (ranked.Count < 2)
            return $"summary ({figure.Label}, {figure.Better}): fewer than two engines to compare{notRanked}";
        var best = figure.HigherIsBetter ? ranked.MaxBy(r => figure.Value(r)!.Value)! : ranked.MinBy(r => figure.Value(r)!.Value)!;
        double bestValue = figure.Value(best)!.Value;
        var behind = ranked
            .Where(r => !ReferenceEquals(r, best))
            .Select(r => (r.Engine, Ratio: figure.HigherIsBetter ? bestValue / figure.Value(r)!.Value : figure.Value(r)!.Value / bestValue))
            .OrderBy(x => x.Ratio)
            .Select(x => $"{x.Engine} {x.Ratio.ToString(x.Ratio < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture)}×");
        return $"summary ({figure.Label}, {figure.Better}): best {best.Engine}, {ResultStatus.Format(bestValue)} {figure.Unit}; the others behind it by: {string.Join(", ", behind)}{notRanked}";
    }
}
