using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HdrHistogram;

namespace Switchboard.Bench;

/// <summary>
/// N clients in one chat room, K of them each saying a line every 10 ms, stamped with when it was
/// sent: deliveries per second across all members, and delivery latency. With several nodes
/// (servers sharing rooms through a hub), client i joins node i % nodes, senders included, and
/// the latency of lines that crossed from one node to another is kept apart as well.
/// </summary>
internal static class ChatLoad
{
    private static readonly TimeSpan SendEvery = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What one chat run measured; <paramref name="CrossNode"/> holds the deliveries whose sender was on another node than the receiver.</summary>
    public sealed record Outcome(LoadStats Stats, HistogramBase Latency, HistogramBase CrossNode);

    public static async Task<Outcome> RunAsync(IReadOnlyList<IPEndPoint> nodes, int clients, int senders, TimeSpan duration, Action started)
    {
        using var sockets = await OpenRoundRobinAsync(nodes, clients).ConfigureAwait(false);
        var readers = sockets.Select(s => new LineReader(s)).ToArray();
        await JoinAsync(sockets, readers).ConfigureAwait(false);

        started(); // connections are open: measure from here
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var sending = Enumerable.Range(0, Math.Min(senders, sockets.Count)).Select(i => Task.Run(() => SendAsync(sockets[i], stop.Token))).ToArray();
        var receiving = readers.Select((r, i) => Task.Run(() => ReceiveAsync(r, i % nodes.Count, nodes.Count, stop.Token))).ToArray();
        await Task.WhenAll(sending).ConfigureAwait(false);
        var histograms = await Task.WhenAll(receiving).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        var total = Histograms.Merge(histograms.Select(h => h.All));
        var crossNode = Histograms.Merge(histograms.Select(h => h.CrossNode));
        return new Outcome(new LoadStats(total.TotalCount, 0, 0, seconds), total, crossNode);
    }

    /// <summary>Opens <paramref name="clients"/> connections, client i to node i % nodes: the result is in client order.</summary>
    private static async Task<OpenConnections> OpenRoundRobinAsync(IReadOnlyList<IPEndPoint> nodes, int clients)
    {
        if (nodes.Count == 1)
            return await Connections.OpenAsync(nodes[0], clients).ConfigureAwait(false);

        var perNode = new List<OpenConnections>(nodes.Count);
        try
        {
            for (int node = 0; node < nodes.Count; node++)
            {
                int count = (clients - node + nodes.Count - 1) / nodes.Count; // clients i < clients with i % n == node
                perNode.Add(await Connections.OpenAsync(nodes[node], Math.Max(0, count)).ConfigureAwait(false));
            }

            var all = new OpenConnections(clients);
            for (int i = 0; i < clients; i++)
                all.Add(perNode[i % nodes.Count][i / nodes.Count]);
            return all;
        }
        catch
        {
            foreach (var opened in perNode)
                opened.Dispose();
            throw;
        }
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

    /// <summary>
    /// Times every stamped line a member on <paramref name="node"/> receives; a line from
    /// <c>&lt;cK&gt;</c>, whose sender is on node K % <paramref name="nodes"/>, also counts as
    /// cross-node when that is another node.
    /// </summary>
    private static async Task<(LongHistogram All, LongHistogram CrossNode)> ReceiveAsync(LineReader reader, int node, int nodes, CancellationToken stop)
    {
        var histogram = Histograms.Create();
        var crossNode = Histograms.Create();
        try
        {
            while (await reader.ReadLineAsync(stop).ConfigureAwait(false) is { } line)
            {
                int stamp = line.IndexOf("> t=", StringComparison.Ordinal);
                if (stamp >= 0 && long.TryParse(line.AsSpan(stamp + 4), NumberStyles.None, CultureInfo.InvariantCulture, out long sent))
                {
                    long latency = Math.Max(0, Stopwatch.GetTimestamp() - sent);
                    histogram.RecordValue(latency);
                    if (nodes > 1 && SenderIndex(line, stamp) is int sender && sender % nodes != node)
                        crossNode.RecordValue(latency);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }

        return (histogram, crossNode);
    }

    /// <summary>K from a line <c>&lt;cK&gt; t=...</c> whose nick ends at <paramref name="nickEnd"/>; null if the nick is not one of ours.</summary>
    private static int? SenderIndex(string line, int nickEnd) =>
        nickEnd > 2 && line.StartsWith("<c", StringComparison.Ordinal)
        && int.TryParse(line.AsSpan(2, nickEnd - 2), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? index
            : null;
}
