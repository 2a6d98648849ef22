using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Switchboard.Engines;
using Switchboard.Protocols;

namespace Switchboard.Diagnostics;

/// <summary>
/// One server's measurements, and the instruments of the <see cref="SwitchboardMetrics.MeterName"/>
/// meter that report them. Events that happen once per connection (accepted, refused, closed)
/// are counted as they happen; what happens per message (bytes, lines) is counted in plain fields
/// of each connection and only summed when a listener collects, so that the hot path pays a
/// field increment, not a measurement. Every instrument but the timers' lateness carries the
/// server's tags (<c>switchboard.engine</c>, <c>server.port</c>).
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public static readonly Meter Meter = new(SwitchboardMetrics.MeterName, typeof(ServerMetrics).Assembly.GetName().Version?.ToString());

    private static readonly ConcurrentDictionary<ServerMetrics, byte> Live = new();

    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>(
        "switchboard.connections.accepted", "{connection}", "Connections accepted and admitted.");

    private static readonly Counter<long> Refused = Meter.CreateCounter<long>(
        "switchboard.connections.refused", "{connection}", "Connections refused at accept, by reason (switchboard.refusal.reason).");

    private static readonly Counter<long> Closed = Meter.CreateCounter<long>(
        "switchboard.connections.closed", "{connection}", "Connections ended, by reason (switchboard.disconnect.reason; too_slow is a slow consumer dropped).");

    private static readonly Counter<long> Dropped = Meter.CreateCounter<long>(
        "switchboard.output.dropped", "By", "Queued output never sent: its connection closed or was dropped first.");

    /// <summary>Protocol timers: how long after its due time each fired (the time app's ticks, say).</summary>
    public static readonly Histogram<double> TimerLateness = Meter.CreateHistogram<double>(
        "switchboard.timer.lateness", "s", "How late each protocol timer fired, after its due time.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2] });

    private static readonly Counter<long> WorkersStarted = Meter.CreateCounter<long>(
        "switchboard.workers.started", "{worker}", "Forking: worker processes started.");

    private static readonly Counter<long> WorkersExited = Meter.CreateCounter<long>(
        "switchboard.workers.exited", "{worker}", "Forking: worker processes ended, by how (switchboard.worker.exit: exited, died).");

    private static readonly ObservableUpDownCounter<long> Active = Meter.CreateObservableUpDownCounter(
        "switchboard.connections.active", ObserveActive, "{connection}", "Connections open now.");

    private static readonly ObservableCounter<long> Bytes = Meter.CreateObservableCounter(
        "switchboard.io", ObserveBytes, "By", "Bytes received from and sent to clients (network.io.direction).");

    private static readonly ObservableCounter<long> Lines = Meter.CreateObservableCounter(
        "switchboard.lines", ObserveLines, "{line}", "Line ends (\\n) received from and queued to clients (network.io.direction), counted while this instrument is collected.");

    private static readonly ObservableUpDownCounter<long> Queued = Meter.CreateObservableUpDownCounter(
        "switchboard.output.queued", ObserveQueued, "By", "Output queued for all connections, not yet sent.");

    private static readonly ObservableGauge<long> LargestQueue = Meter.CreateObservableGauge(
        "switchboard.output.queued.largest", ObserveLargestQueue, "By", "The largest queue of output of one connection.");

    private static readonly ObservableCounter<double> LoopBusy = Meter.CreateObservableCounter(
        "switchboard.loop.busy.time", ObserveLoopBusy, "s", "Time event loops spent handling events and timers rather than waiting (select, poll, epoll).");

    private static readonly ObservableCounter<long> LoopWaits = Meter.CreateObservableCounter(
        "switchboard.loop.waits", () => ObserveLoops(loop => loop.Waits), "{wait}", "Waits of event loops for readiness (select, poll, epoll): with switchboard.loop.events, the events each wait returned on average.");

    private static readonly ObservableCounter<long> LoopEvents = Meter.CreateObservableCounter(
        "switchboard.loop.events", () => ObserveLoops(loop => loop.Events), "{event}", "Readiness events the waits of event loops returned (select, poll, epoll).");

    private static readonly ObservableUpDownCounter<int> Workers = Meter.CreateObservableUpDownCounter(
        "switchboard.workers", ObserveWorkers, "{worker}", "Forking: worker processes by state (switchboard.worker.state: idle, busy).");

    private readonly Func<IEnumerable<ConnectionBase>> _connections;
    private readonly List<ILoopMeasurements> _loops = [];
    private Func<(int Idle, int Busy)>? _workers;
    private KeyValuePair<string, object?>[] _tags;
    private TagList _tagList;

    // Folded in from connections that have closed (and, on forking, reported by workers).
    private long _bytesReceived;
    private long _bytesSent;
    private long _linesReceived;
    private long _linesSent;

    public ServerMetrics(string engine, Func<IEnumerable<ConnectionBase>> connections)
    {
        _connections = connections;
        _tags = [new("switchboard.engine", engine)];
        _tagList = new TagList(_tags);
    }

    /// <summary>
    /// Held while a closing connection's counts move from the live sum to the totals, and while a
    /// collector reads both: a collection sees a connection's counts once, never zero times (a
    /// counter that went down would read as a reset).
    /// </summary>
    public Lock Sync { get; } = new();

    /// <summary>Whether line ends are being counted (someone collects <c>switchboard.lines</c>).</summary>
    public static bool CountsLines => Lines.Enabled;

    /// <summary>Whether event loops measure their busy time (someone collects <c>switchboard.loop.busy.time</c>).</summary>
    public static bool MeasuresLoopBusy => LoopBusy.Enabled;

    /// <summary>
    /// The server listens on <paramref name="port"/> and is about to accept: from now on it is
    /// reported, every measurement carrying the port. Call before the first connection.
    /// </summary>
    public void Listening(int port)
    {
        _tags = [new("switchboard.engine", _tags[0].Value), new("server.port", port)];
        _tagList = new TagList(_tags);
        Live[this] = 0;
    }

    public void Dispose() => Live.TryRemove(this, out _);

    public void OnAccepted() => Accepted.Add(1, _tagList);

    public void OnRefused(RefusalKind kind)
    {
        var tags = _tagList;
        tags.Add("switchboard.refusal.reason", MetricNames.Of(kind));
        Refused.Add(1, tags);
    }

    /// <summary>A connection leaving the live sum: its counts join the server's totals. Holding <see cref="Sync"/>, as the connection leaves the registry.</summary>
    public void Fold(ConnectionBase connection) =>
        Fold(connection.BytesReceived, connection.BytesSent, connection.LinesReceived, connection.LinesSent);

    /// <summary>A connection ended (<see cref="Fold(ConnectionBase)"/> done): counted by reason.</summary>
    public void OnClosed(DisconnectReason reason)
    {
        var tags = _tagList;
        tags.Add("switchboard.disconnect.reason", MetricNames.Of(reason));
        Closed.Add(1, tags);
    }

    /// <summary>On forking, a worker's connection ended with these counts, as the worker reported them.</summary>
    public void OnServed(DisconnectReason reason, long bytesReceived, long bytesSent, long linesReceived, long linesSent, long dropped)
    {
        lock (Sync)
            Fold(bytesReceived, bytesSent, linesReceived, linesSent);
        OnClosed(reason);
        if (dropped > 0)
            OnOutputDropped(dropped);
    }

    private void Fold(long bytesReceived, long bytesSent, long linesReceived, long linesSent)
    {
        Interlocked.Add(ref _bytesReceived, bytesReceived);
        Interlocked.Add(ref _bytesSent, bytesSent);
        Interlocked.Add(ref _linesReceived, linesReceived);
        Interlocked.Add(ref _linesSent, linesSent);
    }

    public void OnOutputDropped(long bytes) => Dropped.Add(bytes, _tagList);

    /// <summary>An event loop of this server: its counts are read when collected.</summary>
    public void AddLoop(ILoopMeasurements loop)
    {
        lock (_loops)
            _loops.Add(loop);
    }

    /// <summary>Forking: where the pool's idle and busy workers are counted, read when collected.</summary>
    public void SetWorkers(Func<(int Idle, int Busy)> workers) => _workers = workers;

    public void OnWorkerStarted() => WorkersStarted.Add(1, _tagList);

    public void OnWorkerExited(bool died)
    {
        var tags = _tagList;
        tags.Add("switchboard.worker.exit", died ? "died" : "exited");
        WorkersExited.Add(1, tags);
    }

    private static IEnumerable<Measurement<long>> ObserveActive()
    {
        foreach (var server in Live.Keys)
            yield return new Measurement<long>(server._workers is { } workers ? workers().Busy : server._connections().LongCount(), server._tags);
    }

    private static IEnumerable<Measurement<long>> ObserveBytes() => ObserveDirected(
        server => Volatile.Read(ref server._bytesReceived), server => Volatile.Read(ref server._bytesSent), c => c.BytesReceived, c => c.BytesSent);

    private static IEnumerable<Measurement<long>> ObserveLines() => ObserveDirected(
        server => Volatile.Read(ref server._linesReceived), server => Volatile.Read(ref server._linesSent), c => c.LinesReceived, c => c.LinesSent);

    /// <summary>A count each way: the closed connections' totals and the open ones' own, read together under <see cref="Sync"/>.</summary>
    private static IEnumerable<Measurement<long>> ObserveDirected(
        Func<ServerMetrics, long> closedReceived, Func<ServerMetrics, long> closedSent, Func<ConnectionBase, long> received, Func<ConnectionBase, long> sent)
    {
        foreach (var server in Live.Keys)
        {
            long inward, outward;
            lock (server.Sync)
            {
                inward = closedReceived(server);
                outward = closedSent(server);
                foreach (var connection in server._connections())
                {
                    inward += received(connection);
                    outward += sent(connection);
                }
            }

            yield return Directed(inward, server._tags, "receive");
            yield return Directed(outward, server._tags, "transmit");
        }
    }

    private static Measurement<long> Directed(long value, KeyValuePair<string, object?>[] tags, string direction) =>
        new(value, [.. tags, new("network.io.direction", direction)]);

    private static IEnumerable<Measurement<long>> ObserveQueued()
    {
        foreach (var server in Live.Keys)
            yield return new Measurement<long>(server._connections().Sum(c => c.PendingBytes), server._tags);
    }

    private static IEnumerable<Measurement<long>> ObserveLargestQueue()
    {
        foreach (var server in Live.Keys)
            yield return new Measurement<long>(server._connections().Select(c => c.PendingBytes).DefaultIfEmpty().Max(), server._tags);
    }

    private static IEnumerable<Measurement<double>> ObserveLoopBusy() =>
        ObserveLoops(loop => loop.BusyTicks).Select(m => new Measurement<double>((double)m.Value / Stopwatch.Frequency, m.Tags));

    /// <summary>One figure of every loop, summed per server; nothing for a server without loops.</summary>
    private static IEnumerable<Measurement<long>> ObserveLoops(Func<ILoopMeasurements, long> figure)
    {
        foreach (var server in Live.Keys)
        {
            long sum;
            lock (server._loops)
            {
                if (server._loops.Count == 0)
                    continue;
                sum = server._loops.Sum(figure);
            }

            yield return new Measurement<long>(sum, server._tags);
        }
    }

    private static IEnumerable<Measurement<int>> ObserveWorkers()
    {
        foreach (var server in Live.Keys)
        {
            if (server._workers is not { } workers)
                continue;
            var (idle, busy) = workers();
            yield return new Measurement<int>(idle, [.. server._tags, new("switchboard.worker.state", "idle")]);
            yield return new Measurement<int>(busy, [.. server._tags, new("switchboard.worker.state", "busy")]);
        }
    }
}

/// <summary>What an event loop counts for <see cref="ServerMetrics"/>: plain fields of the loop thread, read when collected.</summary>
internal interface ILoopMeasurements
{
    /// <summary>Stopwatch ticks spent between waits (while measured: <see cref="ServerMetrics.MeasuresLoopBusy"/>).</summary>
    long BusyTicks { get; }

    long Waits { get; }

    long Events { get; }
}
