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

    /// <summary>The load generator's own CPU over the run, as a fraction of one core: near 1.0 means it may be the limit.</summary>
    public double LoadGeneratorCpuCores { get; init; }

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

    /// <summary>Connections that answered at the end (connections).</summary>
    public int? Answered { get; init; }

    public long? ServerPeakRssBytes { get; init; }

    public long Errors { get; init; }

    /// <summary>Why this run failed or was cut short (figures then partial); null if it went well.</summary>
    public string? Failure { get; init; }
}
