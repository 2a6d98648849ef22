using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Switchboard.Hosting;

namespace Switchboard.Bench;

/// <summary>
/// Runs one scenario against each engine in turn: starts <c>switchboard serve echo</c> on it as a
/// separate process, waits for its listening line, applies the load, stops it, and reads the
/// server's CPU time and memory from /proc. Or loads an external target instead.
/// </summary>
public sealed class BenchRunner(BenchSettings settings, Func<IEnumerable<string>, ProcessStartInfo> program)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private BenchTls? _tls;

    private bool _pin;

    private const int ServerCore = 0;
    private const int LoadGeneratorCore = 1;

    /// <summary>
    /// Runs everything; returns one result per engine (or one for the target), each printed as a
    /// row as soon as the engine is done. An engine whose run fails gets a result with its
    /// <see cref="BenchResult.Failure"/> set; the rest still run. On <paramref name="cancel"/>
    /// (Ctrl-C, SIGTERM) the engine in progress stops its load and keeps what it measured,
    /// marked <see cref="BenchResult.Partial"/>; the engines after it are marked
    /// <see cref="BenchResult.NotRun"/>; and the results are written all the same.
    /// </summary>
    internal async Task<IReadOnlyList<BenchResult>> RunAsync(TextWriter output, RunProgress progress, CancellationToken cancel = default)
    {
        DescriptorLimit.RaiseToHardLimit();
        bool pin = settings.Pin && Environment.ProcessorCount >= 2;
        if (pin)
            CorePinning.PinThisProcess(LoadGeneratorCore);
        _pin = pin;

        // --tls: the certificate our servers get (made now, deleted when the run ends), or what a target is trusted by.
        using var tls = !settings.Tls ? null
            : settings.Targets.Count == 0 ? BenchTls.CreateSelfSigned()
            : BenchTls.ForTarget(settings.TlsTargetHost ?? settings.Targets[0].Address.ToString(), settings.TlsCa);
        _tls = tls;
        var results = new List<BenchResult>();
        var engines = settings.Targets.Count == 0 ? settings.Engines : ["target"];
        var table = new ResultTable(settings.Scenario, engines, settings.Duration, settings.Scenario == "chat" && settings.Targets.Count > 1, settings.Repeat > 1, output);
        table.WriteHeader(LoadDescription.Of(settings));
        foreach (string engine in engines)
        {
            var runs = new List<BenchResult>();
            for (int run = 1; run <= settings.Repeat && !cancel.IsCancellationRequested; run++)
            {
                string label = settings.Repeat > 1 ? $"{settings.Scenario} on {engine}, run {run} of {settings.Repeat}" : $"{settings.Scenario} on {engine}";
                progress.Starting(label);
                var result = await RunOneGuardedAsync(engine, pin, progress, cancel).ConfigureAwait(false);
                progress.Finished();
                runs.Add(result);
                if (result.Partial)
                    progress.Say($"{label}: interrupted after {result.Seconds:0.0} s; its figures so far are kept, marked partial");
                if (result.Failure is not null)
                    break; // a server that will not start, dies or throttles will not do better a second time
            }

            var combined = runs.Count == 0
                ? new BenchResult { Scenario = settings.Scenario, Engine = engine, NotRun = true, Iterative = IsIterative(engine) }
                : RepeatedRuns.Combine(runs);
            results.Add(combined);
            table.WriteRow(combined);
        }

        table.WriteLine(RatioSummary.Describe(settings.Scenario, results));

        if (settings.OutDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            var machine = MachineInfo.Describe();
            var report = new BenchReport(machine, settings, results);
            await File.WriteAllTextAsync(Path.Combine(dir, $"{settings.Scenario}.json"), JsonSerializer.Serialize(report, Json), CancellationToken.None).ConfigureAwait(false);
            ResultPlots.Write(dir, settings, machine, results);
        }

        return results;
    }

    private static bool IsIterative(string engine) =>
        Switchboard.Engines.EngineCatalog.TryGet(engine, out var known) && !known.ServesConcurrently;

    /// <summary>One engine's run, never throwing: a failure becomes a result that says what went wrong.</summary>
    private async Task<BenchResult> RunOneGuardedAsync(string engine, bool pin, RunProgress progress, CancellationToken cancel)
    {
        try
        {
            var result = await RunOneAsync(engine, pin, progress, cancel).ConfigureAwait(false);
            return result with { Iterative = IsIterative(engine) };
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return Failed(engine, "interrupted before the load began: nothing measured");
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

    private BenchResult Failed(string engine, string why) => new() { Scenario = settings.Scenario, Engine = engine, Failure = why, Iterative = IsIterative(engine) };

    private async Task<BenchResult> RunOneAsync(string engine, bool pin, RunProgress progress, CancellationToken cancel)
    {
        if (settings.Targets.Count > 0)
            return await MeasureAsync(engine, settings.Targets, server: null, progress, cancel).ConfigureAwait(false);

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
            .. (settings.Metrics ? (string[])["--metrics", "127.0.0.1:0"] : []),
            .. (_tls is { CertPath: { } cert, KeyPath: { } key } ? (string[])["--tls-cert", cert, "--tls-key", key] : []),
        ];
        var start = ReferencePeer.Named(engine) is { } peer
            ? peer.StartInfo(settings.PeerPaths.GetValueOrDefault(engine) ?? throw new BenchException(peer.NotFound), _tls)
            : program(arguments);
        using var server = await ServerProcess.StartAsync(pin ? CorePinning.Pinned(start, ServerCore) : start, settings.Metrics, cancel).ConfigureAwait(false);
        if (engine == "forking")
            await Task.Delay(TimeSpan.FromSeconds(2), cancel).ConfigureAwait(false); // let the spare workers start
        BenchResult result;
        bool hung;
        try
        {
            // Ctrl-C stops the load, which returns what it measured so far (marked partial).
            result = await MeasureAsync(engine, [server.EndPoint], server, progress, cancel).ConfigureAwait(false);
            hung = server.IsStopped(); // SIGSTOPped: the load just times out, with nothing else to say so
        }
        finally
        {
            await server.StopAsync().ConfigureAwait(false);
        }

        // A terminal's Ctrl-C reaches the whole process group, the server too, which then shuts
        // itself down: after an interrupt its exit is that, not a death.
        if (server.DiedOnItsOwn && !cancel.IsCancellationRequested)
            return result with { Failure = $"the server exited during the run ({server.ExitDescription})" };
        if (hung)
            return result with { Failure = "the server stopped answering (process stopped: state T)" };
        if (server.WasKilled)
            return result with { Failure = "the server did not stop within 15 s of SIGTERM and was killed" };
        return result;
    }

    /// <summary>Loads <paramref name="targets"/>: the first (and only) one, or for chat, each as a node.</summary>
    private async Task<BenchResult> MeasureAsync(string engine, IReadOnlyList<System.Net.IPEndPoint> targets, ServerProcess? server, RunProgress progress, CancellationToken interrupt)
    {
        var target = targets[0];
        // CPU counts from when the load starts, after its connections are open (Started).
        double serverCpuBefore = 0;
        var loadCpuBefore = TimeSpan.Zero;
        void ReadCpu()
        {
            serverCpuBefore = server?.CpuSeconds() ?? 0;
            loadCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        }

        // With --metrics, scraped while the load is measured, as Prometheus would scrape it.
        MetricsScraper? scraper = null;
        void StartScraping()
        {
            if (server?.MetricsUrl is { } url)
                scraper = MetricsScraper.Start(url);
        }

        void Started()
        {
            ReadCpu();
            StartScraping();
            progress.Measuring(settings.Duration);
        }

        ReadCpu(); // the connections scenario measures its opening
        if (settings.Scenario == "connections")
        {
            StartScraping();
            progress.Measuring(null);
        }

        BenchResult result;
        try
        {
            result = settings.Scenario switch
            {
                "echo" => await EchoAsync(engine, target, Started, interrupt).ConfigureAwait(false),
                "latency" => await LatencyAsync(engine, target, Started, interrupt).ConfigureAwait(false),
                "connections" => await ConnectionsAsync(engine, target, server, interrupt).ConfigureAwait(false),
                "churn" => Basic(engine, await ChurnLoad.RunAsync(target, settings.Clients, settings.Duration, _tls, Started, interrupt).ConfigureAwait(false)),
                "chat" => await ChatAsync(engine, targets, startedHere: server is not null, Started, interrupt).ConfigureAwait(false),
                "time" => await TimeAsync(engine, target, Started, interrupt).ConfigureAwait(false),
                _ => throw new ArgumentException($"unknown scenario '{settings.Scenario}' (choose from: echo, latency, connections, churn, chat, time)"),
            };
        }
        finally
        {
            if (scraper is not null)
                await scraper.DisposeAsync().ConfigureAwait(false);
        }

        if (scraper is not null)
            result = result with { MetricsScrapes = scraper.Scrapes, Failure = result.Failure ?? scraper.FailureDescription };
        else if (settings.Metrics && server is not null)
            result = result with { MetricsScrapes = 0 };
        result = result with { LoadAverage = MachineLoad.OneMinute() };
        if (interrupt.IsCancellationRequested)
            result = result with { Partial = true };
        if (result.Messages == 0)
            result = result with { Failure = interrupt.IsCancellationRequested ? "interrupted before anything was measured" : NothingMeasured(result.Errors), Partial = false };
        double loadCpu = (Process.GetCurrentProcess().TotalProcessorTime - loadCpuBefore).TotalSeconds + result.LoadProcessCpuSeconds;
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

    private async Task<BenchResult> EchoAsync(string engine, System.Net.IPEndPoint target, Action started, CancellationToken interrupt)
    {
        var stats = await EchoLoad.RunAsync(target, settings.Clients, settings.InFlight, settings.Size, settings.Duration, _tls, started, interrupt).ConfigureAwait(false);
        return Basic(engine, stats);
    }

    private async Task<BenchResult> LatencyAsync(string engine, System.Net.IPEndPoint target, Action started, CancellationToken interrupt)
    {
        var (stats, histogram) = await LatencyLoad.RunAsync(target, settings.Clients, settings.Size, settings.Duration, _tls, started, interrupt).ConfigureAwait(false);
        return WithPercentiles(Basic(engine, stats), histogram);
    }

    /// <param name="startedHere">
    /// The bench started the server, with <c>--rate 100000</c>: a shortfall there is the engine
    /// falling behind the load, a figure of its own, not a throttle to warn about.
    /// </param>
    private async Task<BenchResult> ChatAsync(string engine, IReadOnlyList<System.Net.IPEndPoint> nodes, bool startedHere, Action started, CancellationToken interrupt)
    {
        // The C chat client (--chat-client c, on the load generator's core when pinned) or the bench's own clients.
        ChatLoad.Outcome outcome;
        double loadProcessCpu = 0;
        if (settings.ChatClient == "c")
        {
            string program = settings.ChatClientPath ?? throw new BenchException($"{CChatLoad.Program.Title} is not built");
            (outcome, loadProcessCpu) = await CChatLoad.RunAsync(program, nodes, settings.Clients, settings.Senders, settings.Duration, _pin ? LoadGeneratorCore : null, started, interrupt).ConfigureAwait(false);
        }
        else
        {
            outcome = await ChatLoad.RunAsync(nodes, settings.Clients, settings.Senders, settings.Duration, _tls, started, interrupt).ConfigureAwait(false);
        }

        var result = WithPercentiles(Basic(engine, outcome.Stats), outcome.Latency) with { Chat = outcome.Health, LoadProcessCpuSeconds = loadProcessCpu };
        // A server given with --target that paced, refused or cut off the talk measured its
        // throttle, not itself. An interrupted run delivers less than was said only because it was
        // stopped: refusals still count.
        var health = interrupt.IsCancellationRequested ? outcome.Health with { Expected = outcome.Health.Delivered, SendersClosedEarly = 0, ListenersClosedEarly = 0 } : outcome.Health;
        if (!startedHere && health.Describe() is { } throttled)
            result = result with { Failure = throttled, Throttled = true };
        if (nodes.Count == 1)
            return result;
        return result with
        {
            CrossNodeDeliveries = outcome.CrossNode.TotalCount,
            CrossNodeLatencyP50Micros = Micros(outcome.CrossNode, 50),
            CrossNodeLatencyP99Micros = Micros(outcome.CrossNode, 99),
        };
    }

    /// <summary>The time load, measured by the C time client (<c>--time-client c</c>, on the load generator's core when pinned) or by the bench's own clients.</summary>
    private async Task<BenchResult> TimeAsync(string engine, System.Net.IPEndPoint target, Action started, CancellationToken interrupt)
    {
        if (settings.TimeClient == "c")
        {
            string program = settings.TimeClientPath ?? throw new BenchException($"{CTimeLoad.Program.Title} is not built");
            var (c, lateness, cpu) = await CTimeLoad.RunAsync(program, target, settings.Clients, settings.TickInterval, settings.Duration, _pin ? LoadGeneratorCore : null, started, interrupt).ConfigureAwait(false);
            return WithPercentiles(Basic(engine, c), lateness) with { LoadProcessCpuSeconds = cpu };
        }

        var (stats, histogram) = await TimeLoad.RunAsync(target, settings.Clients, settings.TickInterval, settings.Duration, _tls, started, interrupt).ConfigureAwait(false);
        return WithPercentiles(Basic(engine, stats), histogram);
    }

    private static BenchResult WithPercentiles(BenchResult result, HdrHistogram.HistogramBase histogram)
    {
        return result with { LatencyP50Micros = Micros(histogram, 50), LatencyP99Micros = Micros(histogram, 99), LatencyP999Micros = Micros(histogram, 99.9) };
    }

    private static double Micros(HdrHistogram.HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;

    private async Task<BenchResult> ConnectionsAsync(string engine, System.Net.IPEndPoint target, ServerProcess? server, CancellationToken interrupt)
    {
        double cpuBefore = server?.CpuSeconds() ?? 0;
        var loadCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long rssBefore = server?.Memory().Rss ?? 0;
        long rssHalfway = 0;
        void Halfway() => rssHalfway = server?.Memory().Rss ?? 0;
        long? overflowsBefore = ListenQueue.Overflows();
        var (seconds, sockets) = await ConnectionsLoad.OpenAsync(target, settings.Connections, settings.ConnectWindow, _tls, Halfway, interrupt).ConfigureAwait(false);
        long? overflows = ListenQueue.Overflows() - overflowsBefore;
        using (sockets)
        {
            double cpuOpening = (server?.CpuSeconds() ?? 0) - cpuBefore;
            double loadCpuOpening = (Process.GetCurrentProcess().TotalProcessorTime - loadCpuBefore).TotalSeconds;
            long rssAfter = server?.Memory().Rss ?? 0;
            int secondHalf = sockets.Count - (sockets.Count / 2);
            // Interrupted before every connection opened, the halfway reading may have been taken
            // at any point, or never: RSS per connection is then not measured (nor, with none open,
            // anything per accept), rather than a figure that looks real.
            bool allOpened = sockets.Count == settings.Connections && sockets.Count > 0;
            // Interrupted: what opened is measured, but asking each to answer would keep the user waiting.
            int? answered = interrupt.IsCancellationRequested ? null : await ConnectionsLoad.CountAnsweringAsync(sockets).ConfigureAwait(false);
            long peakAfter = server?.Memory().Peak ?? 0; // once each has answered: its buffers were needed once
            return new BenchResult
            {
                Scenario = settings.Scenario,
                Engine = engine,
                Seconds = seconds,
                Messages = sockets.Count,
                AcceptsPerSecond = seconds > 0 ? sockets.Count / seconds : 0,
                LoadGeneratorCpuCores = seconds > 0 ? loadCpuOpening / seconds : 0,
                ServerCpuMicrosPerAccept = server is null || sockets.Count == 0 ? null : cpuOpening * 1e6 / sockets.Count,
                ListenOverflows = overflows,
                RssBytesPerConnection = server is null || !allOpened ? null : (double)(rssAfter - rssHalfway) / secondHalf,
                PeakRssGrowthPerConnection = server is null || !allOpened ? null : (double)(peakAfter - rssBefore) / sockets.Count,
                Answered = answered,
                Errors = answered is { } count ? sockets.Count - count : 0,
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
