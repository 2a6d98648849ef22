namespace Switchboard.Bench;

/// <summary>
/// One figure a scenario reports: the <see cref="BenchResult"/> property it is read from (the key
/// of its spread over repeated runs), what it is called, and which way is better.
/// </summary>
internal sealed record Figure(string Property, string Label, string Unit, bool HigherIsBetter, Func<BenchResult, double?> Value)
{
    /// <summary>"higher is better" or "lower is better".</summary>
    public string Better => HigherIsBetter ? "higher is better" : "lower is better";

    /// <summary>The scenario's main figure: the one the summary line ranks engines by.</summary>
    public static Figure MainOf(string scenario) => scenario switch
    {
        "latency" => LatencyP99("round trip"),
        "connections" => new(nameof(BenchResult.AcceptsPerSecond), "accepts per second", "accepts/s", true, r => r.AcceptsPerSecond),
        "churn" => new(nameof(BenchResult.MessagesPerSecond), "connections per second", "connections/s", true, r => r.MessagesPerSecond),
        // deliveries/s is the offered load (senders × 100 lines/s × members) on any engine that keeps up: what differs is its cost
        "chat" => new(nameof(BenchResult.ServerCpuNanosPerMessage), "server CPU per delivery", "ns", false, r => r.ServerCpuNanosPerMessage),
        "time" => LatencyP99("tick lateness"),
        _ => new(nameof(BenchResult.MessagesPerSecond), "messages per second", "msg/s", true, r => r.MessagesPerSecond),
    };

    public static Figure LatencyP50(string what) => new(nameof(BenchResult.LatencyP50Micros), $"{what} p50", "µs", false, r => r.LatencyP50Micros);

    public static Figure LatencyP99(string what) => new(nameof(BenchResult.LatencyP99Micros), $"{what} p99", "µs", false, r => r.LatencyP99Micros);
}
