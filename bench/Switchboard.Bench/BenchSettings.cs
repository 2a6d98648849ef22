using System.Net;
using System.Text.Json.Serialization;

namespace Switchboard.Bench;

/// <summary>What to measure and how hard.</summary>
public sealed record BenchSettings
{
    /// <summary>echo, latency, connections, churn, chat or time.</summary>
    public required string Scenario { get; init; }

    /// <summary>Engines to start servers with; ignored with <see cref="Targets"/>.</summary>
    public IReadOnlyList<string> Engines { get; init; } = [];

    /// <summary>The program each reference peer in <see cref="Engines"/> runs as, by its name there.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, string> PeerPaths { get; init; } = new Dictionary<string, string>();

    /// <summary>The Kestrel peer's .dll, when <see cref="Engines"/> has it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KestrelPath => PeerPaths.GetValueOrDefault("kestrel");

    /// <summary>The C epoll peer's program (compiled by the bench, or given built), when <see cref="Engines"/> has it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CPeerPath => PeerPaths.GetValueOrDefault("c-epoll");

    /// <summary>The Twisted chat peer's script, when <see cref="Engines"/> has it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TwistedPath => PeerPaths.GetValueOrDefault("twisted");

    /// <summary>
    /// External servers to load instead of starting ours; none to start ours. Several only for
    /// chat: nodes sharing rooms, client i on node i % count.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<IPEndPoint> Targets { get; init; } = [];

    /// <summary><see cref="Targets"/> as text, comma-separated, for the JSON report; null when we start our own.</summary>
    public string? TargetAddress => Targets.Count == 0 ? null : string.Join(",", Targets);

    /// <summary>Every one of <see cref="Targets"/>, for the JSON report; left out when there is at most one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? TargetAddresses => Targets.Count > 1 ? [.. Targets.Select(t => t.ToString())] : null;

    /// <summary>Concurrent clients (echo, latency).</summary>
    public int Clients { get; init; } = 100;

    /// <summary>Clients that talk (chat); the others only listen.</summary>
    public int Senders { get; init; } = 10;

    /// <summary>Messages each echo client keeps in flight.</summary>
    public int InFlight { get; init; } = 1000;

    /// <summary>Message size in bytes.</summary>
    public int Size { get; init; } = 32;

    /// <summary>How long each load runs.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The time app's interval (time).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The time load's clients (time): <c>c</c>, the C time client (<see cref="TimeClientPath"/>),
    /// or <c>dotnet</c>, the bench's own; left out for the other scenarios.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TimeClient { get; init; }

    /// <summary>The C time client's program, compiled by the bench, when <see cref="TimeClient"/> is <c>c</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TimeClientPath { get; init; }

    /// <summary>
    /// The chat load's clients (chat): <c>c</c>, the C chat client (<see cref="ChatClientPath"/>),
    /// or <c>dotnet</c>, the bench's own; left out for the other scenarios.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ChatClient { get; init; }

    /// <summary>The C chat client's program, compiled by the bench, when <see cref="ChatClient"/> is <c>c</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ChatClientPath { get; init; }

    /// <summary>Idle connections to open (connections).</summary>
    public int Connections { get; init; } = 10_000;

    /// <summary>Connects in flight at once (connections); 1: one after another, as one client connecting in a loop.</summary>
    public int ConnectWindow { get; init; } = 100;

    /// <summary>Runs of each engine (<c>--repeat</c>); the figures are their medians.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>
    /// Start each server with <c>--metrics</c> and scrape it every <see cref="MetricsScraper.Every"/>
    /// during the load, so that its figures include what metrics cost.
    /// </summary>
    public bool Metrics { get; init; }

    /// <summary>
    /// Every connection speaks TLS: our servers get a certificate the bench makes
    /// (<c>serve --tls-cert --tls-key</c>), trusted by the load and nothing else; a target is
    /// trusted by <see cref="TlsCa"/> or the system's store.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>With <see cref="Tls"/> and <see cref="Targets"/>: a PEM file of the CA certificates the target is trusted by; null: the system's store.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TlsCa { get; init; }

    /// <summary>With <see cref="Tls"/> and <see cref="Targets"/>: the name the target's certificate must carry (the host given in --target).</summary>
    [JsonIgnore]
    public string? TlsTargetHost { get; init; }

    /// <summary>Pin server and load generator to different cores.</summary>
    public bool Pin { get; init; } = true;

    /// <summary>Where the JSON results go; none if null.</summary>
    public string? OutDirectory { get; init; }
}
