using System.Globalization;
using System.Net;
using HdrHistogram;

namespace Switchboard.Bench;

/// <summary>
/// The time load measured by <c>bench/peers/time-client.c</c>: the clients are one C process,
/// one thread reading every connection on one epoll loop, so that at 100,000 lines/s the
/// lateness measured is the server's and not the load generator's. It measures as
/// <see cref="TimeLoad"/> does (the gap between a client's consecutive lines past the interval,
/// the first interval after the connects not measured) and prints its histogram, which is put
/// into the histogram the .NET load would have filled.
/// </summary>
internal static class CTimeLoad
{
    /// <summary>The client's source and where the bench compiles it.</summary>
    public static CProgram Program { get; } = new("the C time client", "bench/peers/time-client.c", "time-client");

    /// <summary>What the client says on stderr once every connection is open: the measurement begins.</summary>
    private const string OpenLine = " connections open, measuring for ";

    private const string Prefix = "time-client: ";

    /// <summary>
    /// Runs the client built at <paramref name="program"/> against <paramref name="target"/>,
    /// pinned to <paramref name="core"/> if given; <paramref name="started"/> is called when its
    /// connections are open. <paramref name="interrupt"/> (Ctrl-C) ends it early (SIGTERM), with
    /// what it measured. Its CPU over the measurement is returned apart: it is not the bench's.
    /// </summary>
    public static async Task<(LoadStats Stats, HistogramBase Lateness, double CpuSeconds)> RunAsync(
        string program, IPEndPoint target, int clients, TimeSpan interval, TimeSpan duration, int? core, Action started, CancellationToken interrupt)
    {
        string[] arguments = [target.Address.ToString(), target.Port.ToString(CultureInfo.InvariantCulture), clients.ToString(CultureInfo.InvariantCulture), CClientProcess.Seconds(interval), CClientProcess.Seconds(duration)];
        string output = await CClientProcess.RunAsync(Program, program, arguments, Prefix, OpenLine, duration, core, started, interrupt).ConfigureAwait(false);
        return Parse(output);
    }

    /// <summary>
    /// The client's result: <c>lines</c>, <c>seconds</c>, <c>lost</c>, <c>cpu_seconds</c>, and
    /// <c>lateness NANOSECONDS COUNT</c> lines, recorded here in Stopwatch ticks as
    /// <see cref="TimeLoad"/> records them.
    /// </summary>
    internal static (LoadStats Stats, HistogramBase Lateness, double CpuSeconds) Parse(string output)
    {
        var lateness = Histograms.Create();
        long? lines = null, lost = null;
        double? seconds = null, cpu = null;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            bool ok = (fields[0], fields.Length) switch
            {
                ("lines", 2) => CClientProcess.TryLong(fields[1], out lines),
                ("lost", 2) => CClientProcess.TryLong(fields[1], out lost),
                ("seconds", 2) => CClientProcess.TryDouble(fields[1], out seconds),
                ("cpu_seconds", 2) => CClientProcess.TryDouble(fields[1], out cpu),
                ("lateness", 3) => CClientProcess.TryRecord(lateness, fields[1], fields[2]),
                _ => false,
            };
            if (!ok)
                throw new BenchException($"{Program.Title} printed what the bench cannot read: '{line}'");
        }

        if (lines is not { } measured || lost is not { } closed || seconds is not { } elapsed || cpu is not { } cpuSeconds)
            throw new BenchException($"{Program.Title} printed no whole result (lines, seconds, lost, cpu_seconds)");
        if (lateness.TotalCount != measured)
            throw new BenchException($"{Program.Title} printed {measured} lines and a histogram of {lateness.TotalCount}");
        return (new LoadStats(measured, 0, closed, elapsed), lateness, cpuSeconds);
    }
}
