using System.Net;
using System.Text.Json.Serialization;

namespace Switchboard.Bench;

/// <summary>What to measure and how hard.</summary>
public sealed record BenchSettings
{
    /// <summary>echo, latency, connections, churn, chat or time.</summary>
    public required string Scenario { get; init; }

    /// <summary>Engines to start servers with; ignored with <see cref="Target"/>.</summary>
    public IReadOnlyList<string> Engines { get; init; } = [];

    /// <summary>An external server to load instead of starting ours.</summary>
    [JsonIgnore]
    public IPEndPoint? Target { get; init; }

    /// <summary><see cref="Target"/> as text, for the JSON report.</summary>
    public string? TargetAddress => Target?.ToString();

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

    /// <summary>Idle connections to open (connections).</summary>
    public int Connections { get; init; } = 10_000;

    /// <summary>Pin server and load generator to different cores.</summary>
    public bool Pin { get; init; } = true;

    /// <summary>Where the JSON results go; none if null.</summary>
    public string? OutDirectory { get; init; }
}
