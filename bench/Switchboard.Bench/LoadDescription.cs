namespace Switchboard.Bench;

/// <summary>The load of a run in a few words, for the line over the table and the charts' caption.</summary>
internal static class LoadDescription
{
    /// <summary>E.g. "latency: 100 clients, 10 s" or "chat: 100 clients, 10 talking, 10 s, median of 3 runs".</summary>
    public static string Of(BenchSettings settings)
    {
        string seconds = $"{settings.Duration.TotalSeconds:0.###} s";
        string load = settings.Scenario switch
        {
            "connections" => $"{settings.Connections:N0} connections",
            "chat" => $"{settings.Clients:N0} clients, {settings.Senders:N0} talking, {seconds}",
            "echo" => $"{settings.Clients:N0} clients × {settings.InFlight:N0} in flight, {settings.Size} B, {seconds}",
            "time" => $"{settings.Clients:N0} clients, a tick every {settings.TickInterval.TotalSeconds:0.###} s, {seconds}",
            _ => $"{settings.Clients:N0} clients, {seconds}",
        };
        string repeat = settings.Repeat > 1 ? $", median of {settings.Repeat} runs each" : "";
        return $"{settings.Scenario}: {load}{repeat}";
    }
}
