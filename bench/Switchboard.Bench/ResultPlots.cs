using System.Globalization;
using ScottPlot;

namespace Switchboard.Bench;

/// <summary>
/// Bar charts of a scenario's key figures, one slot per engine, as PNG and SVG. Each chart says
/// which way is better, labels every bar with its value, and has a caption with the load and the
/// machine. A log axis when the values span more than ten times (one slow engine would flatten
/// the rest). Engines that failed, were throttled or did not run keep their slot, bar-less and
/// labelled; a partial run's bar is pale and says so; an engine that serves one client at a time
/// is named so under its bar.
/// </summary>
internal static class ResultPlots
{
    private const int Width = 900;
    private const int Height = 520;
    private const double WideRange = 10;

    private static readonly Color[] SeriesColors = [Colors.SteelBlue, Colors.DarkOrange];
    private static readonly Color PartialColor = Colors.LightGray;
    private static readonly Color IterativeColor = Colors.SlateGray;

    /// <summary>A chart: its file name's suffix, title, unit, which way is better, and its series (one bar per engine each).</summary>
    private sealed record Chart(string Name, string Title, string Unit, bool HigherIsBetter, (string Label, Func<BenchResult, double?> Value)[] Series);

    /// <summary>Writes the plots into <paramref name="directory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string directory, BenchSettings settings, MachineInfo machine, IReadOnlyList<BenchResult> results)
    {
        var written = new List<string>();
        foreach (var chart in Charts(settings.Scenario))
        {
            if (!results.Any(r => Plottable(r) && chart.Series.Any(s => s.Value(r) is > 0)))
                continue; // nothing measured at all: no chart of empty slots
            var plot = Draw(chart, settings, machine, results);
            string file = Path.Combine(directory, $"{settings.Scenario}-{chart.Name}");
            plot.SavePng(file + ".png", Width, Height);
            plot.SaveSvg(file + ".svg", Width, Height);
            written.Add(file + ".png");
            written.Add(file + ".svg");
        }

        return written;
    }

    private static Chart[] Charts(string scenario) => scenario switch
    {
        "latency" =>
        [
            new("p99", "round trip p99", "µs", false, [("p99", r => r.LatencyP99Micros)]),
            new("rate", "messages per second", "msg/s", true, [("rate", r => r.MessagesPerSecond)]),
            new("cpu", "server CPU per message", "ns", false, [("cpu", r => r.ServerCpuNanosPerMessage)]),
        ],
        "connections" =>
        [
            new("accepts", "accepts per second", "accepts/s", true, [("accepts", r => r.AcceptsPerSecond)]),
            new("rss", "server RSS per idle connection", "bytes", false, [("rss", r => r.RssBytesPerConnection)]),
        ],
        "churn" =>
        [
            new("rate", "connections per second", "connections/s", true, [("rate", r => r.MessagesPerSecond)]),
            new("cpu", "server CPU per connection", "ns", false, [("cpu", r => r.ServerCpuNanosPerMessage)]),
        ],
        "chat" =>
        [
            new("rate", "deliveries per second", "deliveries/s", true, [("rate", r => r.MessagesPerSecond)]),
            new("p99", "delivery latency p99", "µs", false, [("p99", r => r.LatencyP99Micros)]),
            new("cpu", "server CPU per delivery", "ns", false, [("cpu", r => r.ServerCpuNanosPerMessage)]),
        ],
        "time" => [new("lateness", "tick lateness, p50 and p99", "µs", false, [("p50", r => r.LatencyP50Micros), ("p99", r => r.LatencyP99Micros)])],
        _ =>
        [
            new("rate", "messages per second", "msg/s", true, [("rate", r => r.MessagesPerSecond)]),
            new("cpu", "server CPU per message", "ns", false, [("cpu", r => r.ServerCpuNanosPerMessage)]),
        ],
    };

    /// <summary>Whether a result's figures go on a chart: a complete run, or a partial one (drawn pale).</summary>
    private static bool Plottable(BenchResult result) => result.Failure is null && !result.NotRun;

    private static Plot Draw(Chart chart, BenchSettings settings, MachineInfo machine, IReadOnlyList<BenchResult> results)
    {
        var values = results.Where(Plottable).SelectMany(r => chart.Series.Select(s => s.Value(r))).OfType<double>().Where(v => v > 0).ToArray();
        bool log = values.Max() / values.Min() > WideRange;
        // On a log axis a bar rises from the power of ten below the smallest value (a step below
        // it when that value is itself a power of ten, so that its bar is not of no height); else from 0.
        double floor = log ? Math.Ceiling(Math.Log10(values.Min())) - 1 : 0;
        double top = log ? Math.Log10(values.Max()) + 0.25 : values.Max() * 1.15; // room above the tallest bar for its label
        double Y(double v) => log ? Math.Log10(v) : v;

        var plot = new Plot();
        double slot = 0.8 / chart.Series.Length;
        for (int s = 0; s < chart.Series.Length; s++)
        {
            var bars = new List<Bar>();
            for (int i = 0; i < results.Count; i++)
            {
                var result = results[i];
                if (!Plottable(result) || chart.Series[s].Value(result) is not (> 0 and var value))
                    continue;
                bars.Add(new Bar
                {
                    Position = i + ((s - ((chart.Series.Length - 1) / 2.0)) * slot),
                    Value = Y(value),
                    ValueBase = floor,
                    Size = slot * 0.9,
                    FillColor = result.Partial ? PartialColor : result.Iterative ? IterativeColor : SeriesColors[s % SeriesColors.Length],
                    Label = result.Partial ? $"{ResultStatus.Format(value)} (partial)" : ResultStatus.Format(value),
                });
            }

            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = 12;
            if (chart.Series.Length > 1)
                barPlot.LegendText = chart.Series[s].Label;
        }

        // Engines with nothing to draw keep their slot, marked with why.
        for (int i = 0; i < results.Count; i++)
        {
            if (Plottable(results[i]))
                continue;
            var mark = plot.Add.Text(ResultStatus.Short(results[i]), i, floor);
            mark.LabelAlignment = Alignment.LowerCenter;
            mark.LabelFontSize = 13;
            mark.LabelFontColor = Colors.DarkRed;
            mark.LabelBold = true;
        }

        plot.Axes.Bottom.SetTicks(
            [.. Enumerable.Range(0, results.Count).Select(i => (double)i)],
            [.. results.Select(r => r.Iterative ? $"{r.Engine}\n(one client at a time)" : r.Engine)]);
        if (log)
            plot.Axes.Left.TickGenerator = LogTicks(floor, top);
        plot.Axes.SetLimits(-0.6, results.Count - 0.4, floor, top);
        plot.Title($"{settings.Scenario}: {chart.Title}");
        plot.YLabel($"{chart.Title} ({chart.Unit}), {(chart.HigherIsBetter ? "higher" : "lower")} is better{(log ? ", log scale" : "")}");
        plot.Axes.Left.Label.FontSize = 14;
        plot.XLabel(Caption(settings, machine), 11);
        if (chart.Series.Length > 1)
            plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>Powers of ten labelled with their value (1, 10, 100, 1k, …), the steps between as minor ticks.</summary>
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double floor, double top)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int power = (int)floor; power <= (int)Math.Ceiling(top); power++)
        {
            ticks.AddMajor(power, Short(Math.Pow(10, power)));
            for (int step = 2; step <= 9; step++)
                ticks.AddMinor(power + Math.Log10(step));
        }

        return ticks;
    }

    private static string Short(double value) => value switch
    {
        >= 1e9 => (value / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (value / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    /// <summary>What was run and where: the load, then the machine.</summary>
    private static string Caption(BenchSettings settings, MachineInfo machine) =>
        $"{LoadDescription.Of(settings)}\n{machine.Cores} cores, {machine.Cpu}, Linux {machine.Kernel}, {machine.Runtime}, {machine.When:yyyy-MM-dd}";
}
