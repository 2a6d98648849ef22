using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;

namespace Switchboard.Bench;

/// <summary>C clients, one message in flight each (ping-pong); round trips recorded in an HdrHistogram.</summary>
internal static class LatencyLoad
{
    public static async Task<(LoadStats Stats, HistogramBase Histogram)> RunAsync(IPEndPoint target, int clients, int size, TimeSpan duration, BenchTls? tls, Action started, CancellationToken interrupt)
    {
        using var sockets = await Connections.OpenAsync(target, clients, tls, interrupt).ConfigureAwait(false);
        started(); // connections are open: measure from here
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt); // Ctrl-C ends the load early, with what it measured
        stop.CancelAfter(duration);
        var clock = Stopwatch.StartNew();
        var histograms = await Task.WhenAll(sockets.Select(s => Task.Run(() => ClientAsync(s, size, stop.Token)))).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        var total = Histograms.Merge(histograms.Select(h => h.Histogram));
        long errors = histograms.Count(h => h.Failed);

        return (new LoadStats(total.TotalCount, total.TotalCount * size, errors, seconds), total);
    }

    private static async Task<(LongHistogram Histogram, bool Failed)> ClientAsync(BenchConnection socket, int size, CancellationToken stop)
    {
        var histogram = Histograms.Create();
        var message = new byte[size];
        var buffer = new byte[size];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                await socket.SendAsync(message, stop).ConfigureAwait(false);
                for (int got = 0; got < size;)
                {
                    int n = await socket.ReceiveAsync(buffer.AsMemory(got), stop).ConfigureAwait(false);
                    if (n == 0)
                        return (histogram, true);
                    got += n;
                }

                histogram.RecordValue(Stopwatch.GetTimestamp() - start);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            return (histogram, true);
        }

        return (histogram, false);
    }
}
