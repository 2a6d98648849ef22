using System.Diagnostics;
using System.Net;
using HdrHistogram;

namespace Switchboard.Bench;

/// <summary>
/// N clients of the time app: how late each tick arrives, measured as how much longer than the
/// interval the gap between a client's consecutive lines is. A connection the server closes or
/// resets during the run is an error, as the C client counts it (its <c>lost</c>).
/// </summary>
internal static class TimeLoad
{
    public static async Task<(LoadStats Stats, HistogramBase Lateness)> RunAsync(IPEndPoint target, int clients, TimeSpan interval, TimeSpan duration, BenchTls? tls, Action started, CancellationToken interrupt)
    {
        using var sockets = await Connections.OpenAsync(target, clients, tls, interrupt).ConfigureAwait(false);
        started(); // connections are open: measure from here
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt); // Ctrl-C ends the load early, with what it measured
        stop.CancelAfter(duration);
        var clock = Stopwatch.StartNew();
        long intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        // One histogram for all, under a lock: one per client would take 10,000 × ~190 KB.
        var lateness = Histograms.Create();
        long warmUpEnds = Stopwatch.GetTimestamp() + intervalTicks;
        var ended = await Task.WhenAll(sockets.Select(s => Task.Run(() => ClientAsync(new LineReader(s, TimeLineBuffer), lateness, intervalTicks, warmUpEnds, stop.Token)))).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        return (new LoadStats(lateness.TotalCount, 0, ended.Count(lost => lost), seconds), lateness);
    }

    // A time line is 25 bytes; a small buffer keeps 10,000 clients lean.
    private const int TimeLineBuffer = 1024;

    /// <summary>
    /// Records each gap between lines past the interval. Lines read before <paramref name="warmUpEnds"/>
    /// are not measured: they queued up while the other connections opened and arrive in a clump.
    /// </summary>
    /// <returns>Whether the connection ended before <paramref name="stop"/>: closed or reset by the server.</returns>
    private static async Task<bool> ClientAsync(LineReader reader, LongHistogram lateness, long intervalTicks, long warmUpEnds, CancellationToken stop)
    {
        long? last = null;
        try
        {
            while (await reader.ReadLineAsync(stop).ConfigureAwait(false) is not null)
            {
                long now = Stopwatch.GetTimestamp();
                if (now < warmUpEnds)
                    continue;
                if (last is { } previous)
                {
                    lock (lateness)
                        lateness.RecordValue(Math.Max(0, now - previous - intervalTicks));
                }

                last = now;
            }

            return true; // closed
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return !stop.IsCancellationRequested; // reset; not a read the stop broke off
        }
    }
}
