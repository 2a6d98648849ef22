using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;

namespace Switchboard.Bench;

/// <summary>
/// Runs one scenario against each engine in turn: starts <c>switchboard serve echo</c> on it as a
/// separate process, waits for its listening line, applies the load, stops it, and reads the
/// server's CPU time and memory from /proc. Or loads an external target instead.
/// </summary>
public sealed class BenchRunner(BenchSettings settings, Func<IEnumerable<string>, ProcessStartInfo> program, IAnsiConsole console)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private const int ServerCore = 0;
    private const int LoadGeneratorCore = 1;

    /// <summary>Runs everything; returns one result per engine (or one for the target).</summary>
    public async Task<IReadOnlyList<BenchResult>> RunAsync()
    {
        DescriptorLimit.RaiseToHardLimit();
        bool pin = settings.Pin && Environment.ProcessorCount >= 2;
        if (pin)
            CorePinning.PinThisProcess(LoadGeneratorCore);

        var results = new List<BenchResult>();
        var targets = settings.Target is null ? settings.Engines : ["target"];
        await console.Progress().AutoClear(false).StartAsync(async progress =>
        {
            foreach (string engine in targets)
            {
                var task = progress.AddTask($"{settings.Scenario} on {engine}");
                task.IsIndeterminate = true;
                results.Add(await RunOneAsync(engine, pin).ConfigureAwait(false));
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }).ConfigureAwait(false);

        if (settings.OutDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(
                Path.Combine(dir, $"{settings.Scenario}.json"),
                JsonSerializer.Serialize(results, Json)).ConfigureAwait(false);
            ResultPlots.Write(dir, settings.Scenario, results);
        }

        console.Write(ResultTable.Render(settings.Scenario, results));
        return results;
    }

    private async Task<BenchResult> RunOneAsync(string engine, bool pin)
    {
        if (settings.Target is { } target)
            return await MeasureAsync(engine, target, server: null).ConfigureAwait(false);

        string[] app = settings.Scenario switch
        {
            "chat" => ["chat", "--rate", "100000", "--history", "0"],
            "time" => ["time", "--interval", settings.TickInterval.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            _ => ["echo"],
        };
        string[] arguments =
        [
            "serve", .. app, "--port", "0", "--engine", engine, "--log-level", "Warning",
            "--max-pending", "67108864", "--max-connections", "100000", "--workers", "4..128",
        ];
        var start = engine == KestrelPeer.Name
            ? KestrelPeer.StartInfo(KestrelPeer.Locate() ?? throw new InvalidOperationException("the Kestrel peer is not built: dotnet build -c Release bench/Switchboard.KestrelEcho"))
            : program(arguments);
        using var server = await ServerProcess.StartAsync(pin ? CorePinning.Pinned(start, ServerCore) : start).ConfigureAwait(false);
        if (engine == "forking")
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // let the spare workers start
        try
        {
            return await MeasureAsync(engine, server.EndPoint, server).ConfigureAwait(false);
        }
        finally
        {
            await server.StopAsync().ConfigureAwait(false);
        }
    }

    private async Task<BenchResult> MeasureAsync(string engine, System.Net.IPEndPoint target, ServerProcess? server)
    {
        // CPU counts from when the load starts, after its connections are open (Started).
        double serverCpuBefore = 0;
        var loadCpuBefore = TimeSpan.Zero;
        void Started()
        {
            serverCpuBefore = server?.CpuSeconds() ?? 0;
            loadCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        }

        Started(); // the connections scenario measures its opening
        var result = settings.Scenario switch
        {
            "echo" => await EchoAsync(engine, target, Started).ConfigureAwait(false),
            "latency" => await LatencyAsync(engine, target, Started).ConfigureAwait(false),
            "connections" => await ConnectionsAsync(engine, target, server).ConfigureAwait(false),
            "churn" => Basic(engine, await ChurnLoad.RunAsync(target, settings.Clients, settings.Duration, Started).ConfigureAwait(false)),
            "chat" => await ChatAsync(engine, target, Started).ConfigureAwait(false),
            "time" => await TimeAsync(engine, target, Started).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown scenario '{settings.Scenario}' (choose from: echo, latency, connections, churn, chat, time)"),
        };
        double loadCpu = (Process.GetCurrentProcess().TotalProcessorTime - loadCpuBefore).TotalSeconds;
        result = result with { LoadGeneratorCpuCores = loadCpu / result.Seconds };
        if (server is null)
            return result;
        double serverCpu = server.CpuSeconds() - serverCpuBefore;
        return result with
        {
            ServerCpuCores = serverCpu / result.Seconds,
            ServerCpuNanosPerMessage = result.Messages > 0 ? serverCpu * 1e9 / result.Messages : null,
            ServerPeakRssBytes = server.Memory().Peak,
        };
    }

    private async Task<BenchResult> EchoAsync(string engine, System.Net.IPEndPoint target, Action started)
    {
        var stats = await EchoLoad.RunAsync(target, settings.Clients, settings.InFlight, settings.Size, settings.Duration, started).ConfigureAwait(false);
        return Basic(engine, stats);
    }

    private async Task<BenchResult> LatencyAsync(string engine, System.Net.IPEndPoint target, Action started)
    {
        var (stats, histogram) = await LatencyLoad.RunAsync(target, settings.Clients, settings.Size, settings.Duration, started).ConfigureAwait(false);
        return WithPercentiles(Basic(engine, stats), histogram);
    }

    private async Task<BenchResult> ChatAsync(string engine, System.Net.IPEndPoint target, Action started)
    {
        var (stats, histogram) = await ChatLoad.RunAsync(target, settings.Clients, settings.Senders, settings.Duration, started).ConfigureAwait(false);
        return WithPercentiles(Basic(engine, stats), histogram);
    }

    private async Task<BenchResult> TimeAsync(string engine, System.Net.IPEndPoint target, Action started)
    {
        var (stats, histogram) = await TimeLoad.RunAsync(target, settings.Clients, settings.TickInterval, settings.Duration, started).ConfigureAwait(false);
        return WithPercentiles(Basic(engine, stats), histogram);
    }

    private static BenchResult WithPercentiles(BenchResult result, HdrHistogram.HistogramBase histogram)
    {
        double Micros(double percentile) => histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;
        return result with { LatencyP50Micros = Micros(50), LatencyP99Micros = Micros(99), LatencyP999Micros = Micros(99.9) };
    }

    private async Task<BenchResult> ConnectionsAsync(string engine, System.Net.IPEndPoint target, ServerProcess? server)
    {
        double cpuBefore = server?.CpuSeconds() ?? 0;
        long rssHalfway = 0;
        void Halfway() => rssHalfway = server?.Memory().Rss ?? 0;
        var (seconds, sockets) = await ConnectionsLoad.OpenAsync(target, settings.Connections, Halfway).ConfigureAwait(false);
        using (sockets)
        {
            double cpuOpening = (server?.CpuSeconds() ?? 0) - cpuBefore;
            long rssAfter = server?.Memory().Rss ?? 0;
            int secondHalf = sockets.Count - (sockets.Count / 2);
            int answered = await ConnectionsLoad.CountAnsweringAsync(sockets).ConfigureAwait(false);
            return new BenchResult
            {
                Scenario = settings.Scenario,
                Engine = engine,
                Seconds = seconds,
                Messages = sockets.Count,
                AcceptsPerSecond = sockets.Count / seconds,
                ServerCpuMicrosPerAccept = server is null ? null : cpuOpening * 1e6 / sockets.Count,
                RssBytesPerConnection = server is null ? null : (double)(rssAfter - rssHalfway) / secondHalf,
                Answered = answered,
                Errors = sockets.Count - answered,
            };
        }
    }

    private BenchResult Basic(string engine, LoadStats stats) => new()
    {
        Scenario = settings.Scenario,
        Engine = engine,
        Seconds = stats.Seconds,
        Messages = stats.Messages,
        MessagesPerSecond = stats.Messages / stats.Seconds,
        MebibytesPerSecond = stats.Bytes / stats.Seconds / (1024 * 1024),
        Errors = stats.Errors,
    };
}
