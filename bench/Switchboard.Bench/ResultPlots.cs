namespace Switchboard.Bench;

/// <summary>Bar charts of a scenario's key figures, one bar per engine, as PNG and SVG.</summary>
internal static class ResultPlots
{
    private const int Width = 800;
    private const int Height = 450;

    /// <summary>Writes the plots into <paramref name="directory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string directory, string scenario, IReadOnlyList<BenchResult> results)
    {
        var figures = scenario switch
        {
            "latency" => new (string Name, string Label, Func<BenchResult, double?> Value)[]
            {
                ("p99", "round trip p99 (µs)", r => r.LatencyP99Micros),
                ("rate", "messages per second", r => r.MessagesPerSecond),
                ("cpu", "server CPU per message (ns)", r => r.ServerCpuNanosPerMessage),
            },
            "connections" => [("accepts", "accepts per second", r => r.AcceptsPerSecond), ("rss", "server RSS per idle connection (bytes)", r => r.RssBytesPerConnection)],
            "churn" => [("rate", "connections per second", r => r.MessagesPerSecond), ("cpu", "server CPU per connection (ns)", r => r.ServerCpuNanosPerMessage)],
            "chat" => [("rate", "deliveries per second", r => r.MessagesPerSecond), ("p99", "delivery latency p99 (µs)", r => r.LatencyP99Micros)],
            "time" => [("p99", "tick lateness p99 (µs)", r => r.LatencyP99Micros)],
            _ => [("rate", "messages per second", r => r.MessagesPerSecond), ("cpu", "server CPU per message (ns)", r => r.ServerCpuNanosPerMessage)],
        };

        var written = new List<string>();
        foreach (var (name, label, value) in figures)
        {
            var plotted = results.Where(r => value(r) is not null).ToList();
            if (plotted.Count == 0)
                continue;
            var plot = new ScottPlot.Plot();
            plot.Add.Bars(plotted.Select(r => value(r)!.Value).ToArray());
            plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, plotted.Count).Select(i => (double)i)], [.. plotted.Select(r => r.Engine)]);
            plot.Axes.Margins(bottom: 0);
            plot.Title($"{scenario}: {label}");
            plot.YLabel(label);
            string file = Path.Combine(directory, $"{scenario}-{name}");
            plot.SavePng(file + ".png", Width, Height);
            plot.SaveSvg(file + ".svg", Width, Height);
            written.Add(file + ".png");
            written.Add(file + ".svg");
        }

        return written;
    }
}
