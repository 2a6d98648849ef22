using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Switchboard.Bench;

/// <summary>The results of one scenario as a terminal table.</summary>
internal static class ResultTable
{
    private sealed record Column(string Name, Func<BenchResult, double?> Value, string Format);

    public static IRenderable Render(string scenario, IReadOnlyList<BenchResult> results)
    {
        var table = new Table().Title($"[bold]{scenario}[/]").AddColumn("engine");
        var columns = scenario switch
        {
            "latency" => new Column[]
            {
                new("msg/s", r => r.MessagesPerSecond, "N0"), new("p50 µs", r => r.LatencyP50Micros, "N0"), new("p99 µs", r => r.LatencyP99Micros, "N0"),
                new("p99.9 µs", r => r.LatencyP999Micros, "N0"), new("server CPU ns/msg", r => r.ServerCpuNanosPerMessage, "N0"),
                new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"), new("errors", r => r.Errors, "N0"),
            },
            "connections" => new Column[]
            {
                new("connections", r => r.Messages, "N0"), new("accepts/s", r => r.AcceptsPerSecond, "N0"),
                new("server CPU µs/accept", r => r.ServerCpuMicrosPerAccept, "F1"), new("RSS B/conn", r => r.RssBytesPerConnection, "N0"),
                new("answered", r => r.Answered, "N0"), new("server peak RSS MiB", r => r.ServerPeakRssBytes / 1048576.0, "N0"),
                new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"), new("errors", r => r.Errors, "N0"),
            },
            "chat" => new Column[]
            {
                new("deliveries/s", r => r.MessagesPerSecond, "N0"), new("p50 µs", r => r.LatencyP50Micros, "N0"), new("p99 µs", r => r.LatencyP99Micros, "N0"),
                new("server CPU ns/delivery", r => r.ServerCpuNanosPerMessage, "N0"), new("server cores", r => r.ServerCpuCores, "F2"),
                new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"),
            },
            "time" => new Column[]
            {
                new("ticks/s", r => r.MessagesPerSecond, "N0"), new("late p50 µs", r => r.LatencyP50Micros, "N0"), new("late p99 µs", r => r.LatencyP99Micros, "N0"),
                new("late p99.9 µs", r => r.LatencyP999Micros, "N0"), new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"),
            },
            "churn" => new Column[]
            {
                new("connections/s", r => r.MessagesPerSecond, "N0"), new("server CPU ns/conn", r => r.ServerCpuNanosPerMessage, "N0"),
                new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"), new("errors", r => r.Errors, "N0"),
            },
            _ => new Column[]
            {
                new("msg/s", r => r.MessagesPerSecond, "N0"), new("MiB/s", r => r.MebibytesPerSecond, "N1"), new("server CPU ns/msg", r => r.ServerCpuNanosPerMessage, "N0"),
                new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"),
                new("server peak RSS MiB", r => r.ServerPeakRssBytes / 1048576.0, "N0"), new("errors", r => r.Errors, "N0"),
            },
        };
        if (scenario == "chat" && results.Any(r => r.CrossNodeDeliveries is not null))
        {
            // several nodes: the lines that crossed from one node to another, apart
            columns =
            [
                .. columns.Take(3),
                new("cross-node", r => r.CrossNodeDeliveries, "N0"), new("cross-node p50 µs", r => r.CrossNodeLatencyP50Micros, "N0"),
                new("cross-node p99 µs", r => r.CrossNodeLatencyP99Micros, "N0"), .. columns.Skip(3),
            ];
        }

        foreach (var column in columns)
            table.AddColumn(new TableColumn(column.Name).RightAligned());
        bool anyFailed = results.Any(r => r.Failure is not null);
        if (anyFailed)
            table.AddColumn("failed");
        foreach (var result in results)
        {
            string[] cells = [result.Engine, .. columns.Select(c => c.Value(result) is { } v ? v.ToString(c.Format, CultureInfo.InvariantCulture) : "-")];
            table.AddRow(anyFailed ? [.. cells.Select(Markup.Escape), Markup.Escape(result.Failure ?? "")] : [.. cells.Select(Markup.Escape)]);
        }

        return table;
    }
}
