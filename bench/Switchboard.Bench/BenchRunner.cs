using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Spectre.Console;
using Switchboard.Hosting;

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

    /// <summary>
    /// Runs everything; returns one result per engine (or one for the target). An engine whose run
    /// fails, or is cut short by <paramref name="cancel"/> (Ctrl-C, SIGTERM), gets a result with
    /// its <see cref="BenchResult.Failure"/> set and whatever was measured; the rest still run
    /// (unless cancelled), and the results are written all the same.
    /// </summary>
    public async Task<IReadOnlyList<BenchResult>> RunAsync(CancellationToken cancel = default)
    {
        DescriptorLimit.RaiseToHardLimit();
        bool pin = settings.Pin && Environment.ProcessorCount >= 2;
        if (pin)
            CorePinning.PinThisProcess(LoadGeneratorCore);

        var results = new List<BenchResult>();
        var targets = settings.Targets.Count == 0 ? settings.Engines : ["target"];
        await console.Progress().AutoClear(false).StartAsync(async progress =>
        {
            foreach (string engine in targets)
            {
                if (cancel.IsCancellationRequested)
                {
                    results.Add(Failed(engine, "not run: interrupted"));
                    continue;
                }

                var task = progress.AddTask($"{settings.Scenario} on {engine}");
                task.IsIndeterminate = true;
                results.Add(await RunOneGuardedAsync(engine, pin, cancel).ConfigureAwait(false));
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }).ConfigureAwait(false);

        if (settings.OutDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            var report = new BenchReport(MachineInfo.Describe(), settings, results);
            await File.WriteAllTextAsync(Path.Combine(dir, $"{settings.Scenario}.json"), JsonSerializer.Serialize(report, Json), CancellationToken.None).ConfigureAwait(false);
            ResultPlots.Write(dir, settings.Scenario, results.Where(r => r.Failure is null).ToList());
        }

        console.Write(ResultTable.Render(settings.Scenario, results));
        return results;
    }

    /// <summary>One engine's run, never throwing: a failure becomes a result that says what went wrong.</summary>
    private async Task<BenchResult> RunOneGuardedAsync(string engine, bool pin, CancellationToken cancel)
    {
        try
        {
            return await RunOneAsync(engine, pin, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return Failed(engine, "interrupted");
        }
        catch (Exception e) when (e is BenchException or SocketException or IOException or InvalidOperationException or TimeoutException)
        {
            return Failed(engine, e.Message);
        }
    }

    private string NothingMeasured(long errors) => settings.Scenario == "time"
        ? $"no two ticks arrived after the first interval: is the server the time app, and is --duration over twice --interval? ({errors} errors)"
        : $"nothing was measured ({errors} errors): is the server the {ServedApp} app?";

    private string ServedApp => settings.Scenario is "chat" or "time" ? settings.Scenario : "echo";

    private BenchResult Failed(string engine, string why) => new() { Scenario = settings.Scenario, Engine = engine, Failure = why };

    private async Task<BenchResult> RunOneAsync(string engine, bool pin, CancellationToken cancel)
    {
        if (settings.Targets.Count > 0)
            return await MeasureAsync(engine, settings.Targets, server: null).WaitAsync(cancel).ConfigureAwait(false);

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
            ? KestrelPeer.StartInfo(KestrelPeer.Locate() ?? throw new BenchException("the Kestrel peer is not built: dotnet build -c Release bench/Switchboard.KestrelEcho"))
            : program(arguments);
        using var server = await ServerProcess.StartAsync(pin ? CorePinning.Pinned(start, ServerCore) : start, cancel).ConfigureAwait(false);
        if (engine == "forking")
            await Task.Delay(TimeSpan.FromSeconds(2), cancel).ConfigureAwait(false); // let the spare workers start
        BenchResult result;
        bool hung;
        try
        {
            // A cancelled wait leaves the load running on its own; stopping the server ends it.
            result = await MeasureAsync(engine, [server.EndPoint], server).WaitAsync(cancel).ConfigureAwait(false);
            hung = server.IsStopped(); // SIGSTOPped: the load just times out, with nothing else to say so
        }
        finally
        {
            await server.StopAsync().ConfigureAwait(false);
        }

        if (server.DiedOnItsOwn)
            return result with { Failure = $"the server exited during the run ({server.ExitDescription})" };
        if (hung)
            return result with { Failure = "the server stopped answering (process stopped: state T)" };
        if (server.WasKilled)
            return result with { Failure = "the server did not stop within 15 s of SIGTERM and was killed" };
        return result;
    }

    /// <summary>Loads <paramref name="targets"/>: the first (and only) one, or for chat, each as a node.</summary>
    private async Task<BenchResult> MeasureAsync(string engine, IReadOnlyList<System.Net.IPEndPoint> targets, ServerProcess? server)
    {
        var target = targets[0];
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
            "chat" => await ChatAsync(engine, targets, Started).ConfigureAwait(false),
            "time" => await TimeAsync(engine, target, Started).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown scenario '{settings.Scenario}' (choose from: echo, latency, connections, churn, chat, time)"),
        };
        if (result.Messages == 0)
            result = result with { Failure = NothingMeasured(result.Errors) };
        double loadCpu = (Process.GetCurrentProcess().TotalProcessorTime - loadCpuBefore).TotalSeconds;
        if (result.LoadGeneratorCpuCores == 0) // connections measures its own, over the opening only
            result = result with { LoadGeneratorCpuCores = loadCpu / result.Seconds };
        if (server is null)
            return result;
        if (server.DiedOnItsOwn)
            return result; // nothing left in /proc to read; RunOneAsync marks the result
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

    private async Task<BenchResult> ChatAsync(string engine, IReadOnlyList<System.Net.IPEndPoint> nodes, Action started)
    {
        var outcome = await ChatLoad.RunAsync(nodes, settings.Clients, settings.Senders, settings.Duration, started).ConfigureAwait(false);
        var result = WithPercentiles(Basic(engine, outcome.Stats), outcome.Latency);
        if (nodes.Count == 1)
            return result;
        return result with
        {
            CrossNodeDeliveries = outcome.CrossNode.TotalCount,
            CrossNodeLatencyP50Micros = Micros(outcome.CrossNode, 50),
            CrossNodeLatencyP99Micros = Micros(outcome.CrossNode, 99),
        };
    }

    private async Task<BenchResult> TimeAsync(string engine, System.Net.IPEndPoint target, Action started)
    {
        var (stats, histogram) = await TimeLoad.RunAsync(target, settings.Clients, settings.TickInterval, settings.Duration, started).ConfigureAwait(false);
        return WithPercentiles(Basic(engine, stats), histogram);
    }

    private static BenchResult WithPercentiles(BenchResult result, HdrHistogram.HistogramBase histogram)
    {
        return result with { LatencyP50Micros = Micros(histogram, 50), LatencyP99Micros = Micros(histogram, 99), LatencyP999Micros = Micros(histogram, 99.9) };
    }

    private static double Micros(HdrHistogram.HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;

    private async Task<BenchResult> ConnectionsAsync(string engine, System.Net.IPEndPoint target, ServerProcess? server)
    {
        double cpuBefore = server?.CpuSeconds() ?? 0;
        var loadCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long rssHalfway = 0;
        void Halfway() => rssHalfway = server?.Memory().Rss ?? 0;
        var (seconds, sockets) = await ConnectionsLoad.OpenAsync(target, settings.Connections, Halfway).ConfigureAwait(false);
        using (sockets)
        {
            double cpuOpening = (server?.CpuSeconds() ?? 0) - cpuBefore;
            double loadCpuOpening = (Process.GetCurrentProcess().TotalProcessorTime - loadCpuBefore).TotalSeconds;
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
                LoadGeneratorCpuCores = loadCpuOpening / seconds,
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
