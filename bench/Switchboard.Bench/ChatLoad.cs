using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HdrHistogram;

namespace Switchboard.Bench;

/// <summary>
/// N clients in one chat room, K of them each saying a line every 10 ms, stamped with when it was
/// sent: deliveries per second across all members, and delivery latency.
/// </summary>
internal static class ChatLoad
{
    private static readonly TimeSpan SendEvery = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);

    public static async Task<(LoadStats Stats, HistogramBase Latency)> RunAsync(IPEndPoint target, int clients, int senders, TimeSpan duration, Action started)
    {
        using var sockets = await Connections.OpenAsync(target, clients).ConfigureAwait(false);
        var readers = sockets.Select(s => new LineReader(s)).ToArray();
        await JoinAsync(sockets, readers).ConfigureAwait(false);

        started(); // connections are open: measure from here
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var sending = Enumerable.Range(0, Math.Min(senders, sockets.Count)).Select(i => Task.Run(() => SendAsync(sockets[i], stop.Token))).ToArray();
        var receiving = readers.Select(r => Task.Run(() => ReceiveAsync(r, stop.Token))).ToArray();
        await Task.WhenAll(sending).ConfigureAwait(false);
        var histograms = await Task.WhenAll(receiving).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        var total = Histograms.Merge(histograms);
        return (new LoadStats(total.TotalCount, 0, 0, seconds), total);
    }

    /// <summary>Names every client; the room must answer each within <see cref="JoinTimeout"/>.</summary>
    private static async Task JoinAsync(OpenConnections sockets, LineReader[] readers)
    {
        for (int i = 0; i < sockets.Count; i++)
        {
            using var timeout = new CancellationTokenSource(JoinTimeout);
            try
            {
                await sockets[i].SendAsync(Encoding.ASCII.GetBytes($"/nick c{i}\n"), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                while (true)
                {
                    string line = await readers[i].ReadLineAsync(timeout.Token).ConfigureAwait(false)
                        ?? throw new BenchException("the server closed the connection instead of answering /nick: is it the chat app?");
                    if (line.StartsWith("*** you are", StringComparison.Ordinal))
                        break;
                }
            }
            catch (OperationCanceledException)
            {
                throw new BenchException($"no answer to /nick within {JoinTimeout.TotalSeconds:0} s: is the server the chat app?");
            }
        }
    }

    private static async Task SendAsync(Socket socket, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(SendEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                byte[] line = Encoding.ASCII.GetBytes($"t={Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture)}\n");
                await socket.SendAsync(line, SocketFlags.None, stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // the run ended, or the server went: the receivers count what arrived
        }
    }

    private static async Task<LongHistogram> ReceiveAsync(LineReader reader, CancellationToken stop)
    {
        var histogram = Histograms.Create();
        try
        {
            while (await reader.ReadLineAsync(stop).ConfigureAwait(false) is { } line)
            {
                int stamp = line.IndexOf("> t=", StringComparison.Ordinal);
                if (stamp >= 0 && long.TryParse(line.AsSpan(stamp + 4), NumberStyles.None, CultureInfo.InvariantCulture, out long sent))
                    histogram.RecordValue(Math.Max(0, Stopwatch.GetTimestamp() - sent));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }

        return histogram;
    }
}
