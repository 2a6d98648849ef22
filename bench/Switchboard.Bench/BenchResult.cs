using System.Text.Json.Serialization;

namespace Switchboard.Bench;

/// <summary>One engine's figures for one scenario. Fields a scenario does not measure stay null.</summary>
public sealed record BenchResult
{
    public required string Scenario { get; init; }

    public required string Engine { get; init; }

    public double Seconds { get; init; }

    public long Messages { get; init; }

    public double MessagesPerSecond { get; init; }

    public double MebibytesPerSecond { get; init; }

    /// <summary>Server user+system CPU (all its processes) per message, in nanoseconds.</summary>
    public double? ServerCpuNanosPerMessage { get; init; }

    /// <summary>Server CPU over the run, as a fraction of one core.</summary>
    public double? ServerCpuCores { get; init; }

    /// <summary>
    /// The load generator's own CPU over the run, as a fraction of one core: near 1.0 means it may
    /// be the limit. The bench's process, and with the C time client that client's process too.
    /// </summary>
    public double LoadGeneratorCpuCores { get; init; }

    /// <summary>CPU seconds of a load generator that is a process of its own (the C time client), over the measurement; counted in <see cref="LoadGeneratorCpuCores"/>.</summary>
    internal double LoadProcessCpuSeconds { get; init; }

    public double? LatencyP50Micros { get; init; }

    public double? LatencyP99Micros { get; init; }

    public double? LatencyP999Micros { get; init; }

    /// <summary>chat over several nodes: deliveries whose sender was on another node than the receiver; left out otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CrossNodeDeliveries { get; init; }

    /// <summary>chat over several nodes: median delivery latency of the cross-node deliveries.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? CrossNodeLatencyP50Micros { get; init; }

    /// <summary>chat over several nodes: 99th percentile delivery latency of the cross-node deliveries.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? CrossNodeLatencyP99Micros { get; init; }

    public double? AcceptsPerSecond { get; init; }

    /// <summary>Server CPU spent while the connections opened, per connection, in microseconds: what one accept costs the server.</summary>
    public double? ServerCpuMicrosPerAccept { get; init; }

    /// <summary>Server resident memory added per idle connection, in bytes: the growth over the second half of the connections, per connection.</summary>
    public double? RssBytesPerConnection { get; init; }

    /// <summary>
    /// The server's peak resident memory growth per connection, in bytes: its high-water mark
    /// (VmHWM) once every connection is open and has answered, less its RSS before the first
    /// connection, over the number of connections. The whole process counts, collector and
    /// transient buffers included, which the second-half figure leaves out.
    /// </summary>
    public double? PeakRssGrowthPerConnection { get; init; }

    /// <summary>
    /// Handshakes the kernel dropped because a listen queue was full while the connections opened
    /// (connections): the growth of <c>TcpExt: ListenOverflows</c> in <c>/proc/net/netstat</c>,
    /// counted for the whole network namespace. Each one costs its client a retransmitted SYN,
    /// a second or more later.
    /// </summary>
    public long? ListenOverflows { get; init; }

    /// <summary>Connections that answered at the end (connections).</summary>
    public int? Answered { get; init; }

    public long? ServerPeakRssBytes { get; init; }

    public long Errors { get; init; }

    /// <summary>
    /// The machine's load average over the last minute (the first figure of <c>/proc/loadavg</c>)
    /// when the load ended, the bench's own work included: how busy the cores were that the
    /// figures came from. Null where there is no such file (not Linux).
    /// </summary>
    public double? LoadAverage { get; init; }

    /// <summary>With <c>--metrics</c>: scrapes of the server's metrics endpoint that answered during the load; left out otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MetricsScrapes { get; init; }

    /// <summary>Why this run failed (its figures, if any, are not to be trusted); null if it did not.</summary>
    public string? Failure { get; init; }

    /// <summary>
    /// Cut short by Ctrl-C or SIGTERM: the figures are real but cover only <see cref="Seconds"/>
    /// of the run, not the whole duration.
    /// </summary>
    public bool Partial { get; init; }

    /// <summary>Not run at all: the bench was interrupted before this engine's turn.</summary>
    public bool NotRun { get; init; }

    /// <summary>The server refused or held back the load (chat: <c>! ...</c> answers, senders cut off, lines not delivered): see <see cref="Failure"/>.</summary>
    public bool Throttled { get; init; }

    /// <summary>
    /// The engine serves one connection at a time (<c>iterative</c>): its latency is that of the one
    /// client served while the others wait in the backlog, not comparable with the others'.
    /// </summary>
    public bool Iterative { get; init; }

    /// <summary>chat: what the members received against what was sent (how a throttle is told).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ChatHealth? Chat { get; init; }

    /// <summary>
    /// Runs these figures come from (<c>--repeat</c>): with more than one, each figure is the
    /// median of the runs, and <see cref="Spread"/> holds its lowest and highest.
    /// </summary>
    public int Runs { get; init; } = 1;

    /// <summary>With <see cref="Runs"/> above 1: each figure's lowest and highest over the runs, by property name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, FigureSpread>? Spread { get; init; }

    /// <summary>Whether the figures can be compared with other engines': a complete run that did not fail.</summary>
    [JsonIgnore]
    public bool IsComplete => Failure is null && !Partial && !NotRun;
}

/// <summary>The lowest and the highest of one figure over repeated runs.</summary>
public sealed record FigureSpread(double Min, double Max);
