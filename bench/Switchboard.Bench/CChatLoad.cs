using System.Globalization;
using System.Net;

namespace Switchboard.Bench;

/// <summary>
/// The chat load measured by <c>bench/peers/chat-client.c</c>: every member one connection of one
/// C process, read and written on one epoll loop by one thread, the senders paced by the loop's
/// timeout, so that at a million deliveries a second the server is measured and not the load
/// generator. It does what <see cref="ChatLoad"/> does (the same nicks, joining, stamp, 10 ms pace,
/// drain, refusals and nodes) and prints its counts and histograms, which fill the
/// <see cref="ChatLoad.Outcome"/> the .NET load would have returned.
/// </summary>
internal static class CChatLoad
{
    /// <summary>The client's source and where the bench compiles it.</summary>
    public static CProgram Program { get; } = new("the C chat client", "bench/peers/chat-client.c", "chat-client");

    /// <summary>What the client says on stderr once every client is in the room: the measurement begins.</summary>
    private const string OpenLine = " clients in the room, measuring for ";

    private const string Prefix = "chat-client: ";

    // The client's own drain after the talk, at most.
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs the client built at <paramref name="program"/> against <paramref name="nodes"/> (client
    /// i on node i % nodes), pinned to <paramref name="core"/> if given; <paramref name="started"/>
    /// is called when every client is in the room. <paramref name="interrupt"/> (Ctrl-C) ends it
    /// early (SIGTERM), with what it measured. Its CPU over the measurement is returned apart: it
    /// is not the bench's.
    /// </summary>
    public static async Task<(ChatLoad.Outcome Outcome, double CpuSeconds)> RunAsync(
        string program, IReadOnlyList<IPEndPoint> nodes, int clients, int senders, TimeSpan duration, int? core, Action started, CancellationToken interrupt)
    {
        string[] arguments =
        [
            clients.ToString(CultureInfo.InvariantCulture), senders.ToString(CultureInfo.InvariantCulture), CClientProcess.Seconds(duration),
            .. nodes.Select(node => node.ToString()), // 127.0.0.1:7000, [::1]:7000
        ];
        string output = await CClientProcess.RunAsync(Program, program, arguments, Prefix, OpenLine, duration + Drain, core, started, interrupt).ConfigureAwait(false);
        return Parse(output);
    }

    /// <summary>
    /// The client's result: <c>lines_sent</c>, <c>delivered</c>, <c>expected</c>,
    /// <c>refusal_lines</c>, <c>senders</c>, <c>senders_closed_early</c>,
    /// <c>listeners_closed_early</c>, <c>seconds</c>, <c>cpu_seconds</c>, perhaps
    /// <c>first_refusal TEXT</c>, then <c>latency NANOSECONDS COUNT</c> and <c>cross_node
    /// NANOSECONDS COUNT</c> lines, recorded here in Stopwatch ticks as <see cref="ChatLoad"/>
    /// records them.
    /// </summary>
    internal static (ChatLoad.Outcome Outcome, double CpuSeconds) Parse(string output)
    {
        var latency = Histograms.Create();
        var crossNode = Histograms.Create();
        long? sent = null, delivered = null, expected = null, refusals = null, senders = null, sendersClosed = null, listenersClosed = null;
        double? seconds = null, cpu = null;
        string? firstRefusal = null;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("first_refusal ", StringComparison.Ordinal))
            {
                firstRefusal = line["first_refusal ".Length..];
                continue;
            }

            string[] fields = line.Split(' ');
            bool ok = (fields[0], fields.Length) switch
            {
                ("lines_sent", 2) => CClientProcess.TryLong(fields[1], out sent),
                ("delivered", 2) => CClientProcess.TryLong(fields[1], out delivered),
                ("expected", 2) => CClientProcess.TryLong(fields[1], out expected),
                ("refusal_lines", 2) => CClientProcess.TryLong(fields[1], out refusals),
                ("senders", 2) => CClientProcess.TryLong(fields[1], out senders),
                ("senders_closed_early", 2) => CClientProcess.TryLong(fields[1], out sendersClosed),
                ("listeners_closed_early", 2) => CClientProcess.TryLong(fields[1], out listenersClosed),
                ("seconds", 2) => CClientProcess.TryDouble(fields[1], out seconds),
                ("cpu_seconds", 2) => CClientProcess.TryDouble(fields[1], out cpu),
                ("latency", 3) => CClientProcess.TryRecord(latency, fields[1], fields[2]),
                ("cross_node", 3) => CClientProcess.TryRecord(crossNode, fields[1], fields[2]),
                _ => false,
            };
            if (!ok)
                throw new BenchException($"{Program.Title} printed what the bench cannot read: '{line}'");
        }

        if (sent is not { } linesSent || delivered is not { } deliveries || expected is not { } expectedDeliveries || refusals is not { } refusalLines
            || senders is not { } talking || sendersClosed is not { } sendersClosedEarly || listenersClosed is not { } listenersClosedEarly
            || seconds is not { } elapsed || cpu is not { } cpuSeconds)
        {
            throw new BenchException($"{Program.Title} printed no whole result (lines_sent, delivered, expected, refusal_lines, senders, senders_closed_early, listeners_closed_early, seconds, cpu_seconds)");
        }

        if (latency.TotalCount != deliveries)
            throw new BenchException($"{Program.Title} printed {deliveries} deliveries and a histogram of {latency.TotalCount}");
        var health = new ChatHealth(
            LinesSent: linesSent,
            Delivered: deliveries,
            Expected: expectedDeliveries,
            RefusalLines: (int)refusalLines,
            FirstRefusal: refusalLines > 0 ? firstRefusal : null,
            SendersClosedEarly: (int)sendersClosedEarly,
            Senders: (int)talking,
            ListenersClosedEarly: (int)listenersClosedEarly);
        return (new ChatLoad.Outcome(new LoadStats(deliveries, 0, 0, elapsed), latency, crossNode, health), cpuSeconds);
    }
}
