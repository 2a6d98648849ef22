using System.Globalization;

namespace Switchboard.Bench;

/// <summary>The load of a run in a few words, for the line over the table and the charts' caption; numbers written as the table writes them (1,234.5).</summary>
internal static class LoadDescription
{
    /// <summary>
    /// E.g. "latency: 100 clients, 10 s", "latency: 1 client, 10 s", "chat: 100 clients, 10 talking,
    /// 10 s, median of 3 runs each", "latency: 100 clients, 10 s, metrics on (scraped every 1 s)",
    /// "echo: 100 clients × 1,000 in flight, 32 B, 10 s, tls: true", "time: 10,000 clients, a
    /// tick every 0.1 s, 10 s, C client" or "chat: 1,000 clients, 10 talking, 5 s, C client".
    /// </summary>
    public static string Of(BenchSettings settings)
    {
        string seconds = Invariant($"{settings.Duration.TotalSeconds:0.###} s");
        string load = settings.Scenario switch
        {
            "connections" => Count(settings.Connections, "connection"),
            "chat" => Invariant($"{Count(settings.Clients, "client")}, {settings.Senders:N0} talking, {seconds}{Client(settings.ChatClient, settings.Tls)}"),
            "echo" => Invariant($"{Count(settings.Clients, "client")} × {settings.InFlight:N0} in flight, {settings.Size} B, {seconds}"),
            "time" => Invariant($"{Count(settings.Clients, "client")}, a tick every {settings.TickInterval.TotalSeconds:0.###} s, {seconds}{Client(settings.TimeClient, settings.Tls)}"),
            _ => Invariant($"{Count(settings.Clients, "client")}, {seconds}"),
        };
        string repeat = settings.Repeat > 1 ? $", median of {settings.Repeat} runs each" : "";
        string metrics = settings.Metrics ? Invariant($", metrics on (scraped every {MetricsScraper.Every.TotalSeconds:0.###} s)") : "";
        string tls = settings.Tls ? ", tls: true" : "";
        return $"{settings.Scenario}: {load}{tls}{metrics}{repeat}";
    }

    /// <summary>Which clients measured the time or chat load: ", C client", ", .NET client", with --tls ", .NET client (the C one has no TLS)".</summary>
    private static string Client(string? client, bool tls) => client switch
    {
        "c" => ", C client",
        "dotnet" when tls => ", .NET client (the C one has no TLS)",
        "dotnet" => ", .NET client",
        _ => "",
    };

    /// <summary>A count and its noun, with an s unless it is 1 (the rule of <c>Counted.Of</c>), grouped by thousands: "1 client", "10,000 connections".</summary>
    private static string Count(int count, string noun) => Invariant($"{count:N0} {(count == 1 ? noun : noun + "s")}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
