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

    // After the senders stop, how long the members may take to receive lines still on their way.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// What one chat run measured; <paramref name="CrossNode"/> holds the deliveries whose sender
    /// was on another node than the receiver; <paramref name="Health"/> says whether the server
    /// took the talk as sent (a throttled or refusing server makes every figure meaningless).
    /// </summary>
    public sealed record Outcome(LoadStats Stats, HistogramBase Latency, HistogramBase CrossNode, ChatHealth Health);

    public static async Task<Outcome> RunAsync(IReadOnlyList<IPEndPoint> nodes, int clients, int senders, TimeSpan duration, BenchTls? tls, Action started, CancellationToken interrupt)
    {
        using var sockets = await OpenRoundRobinAsync(nodes, clients, tls, interrupt).ConfigureAwait(false);
        var readers = sockets.Select(s => new LineReader(s)).ToArray();
        await JoinAsync(sockets, readers, interrupt).ConfigureAwait(false);

        started(); // connections are open: measure from here
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt); // Ctrl-C ends the load early, with what it measured
        stop.CancelAfter(duration);
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        int talking = Math.Min(senders, sockets.Count);
        var sending = Enumerable.Range(0, talking).Select(i => Task.Run(() => SendAsync(sockets[i], tally, stop.Token))).ToArray();
        var receiving = readers.Select((r, i) => Task.Run(() => ReceiveAsync(r, i % nodes.Count, nodes.Count, tally, stop.Token, stopReceiving.Token))).ToArray();
        await Task.WhenAll(sending).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;

        // Every member but its sender gets each line: wait (briefly) for those still on their way.
        await tally.DrainedAsync(Interlocked.Read(ref tally.Sent) * (sockets.Count - 1), DrainTimeout, interrupt).ConfigureAwait(false);
        await stopReceiving.CancelAsync().ConfigureAwait(false);
        var histograms = await Task.WhenAll(receiving).ConfigureAwait(false);
        var total = Histograms.Merge(histograms.Select(h => h.All));
        var crossNode = Histograms.Merge(histograms.Select(h => h.CrossNode));
        var health = new ChatHealth(
            LinesSent: Interlocked.Read(ref tally.Sent),
            Delivered: total.TotalCount,
            Expected: Interlocked.Read(ref tally.Sent) * (sockets.Count - 1),
            RefusalLines: tally.RefusalLines,
            FirstRefusal: tally.FirstRefusal,
            SendersClosedEarly: histograms.Take(talking).Count(h => h.ClosedEarly),
            Senders: talking,
            ListenersClosedEarly: histograms.Skip(talking).Count(h => h.ClosedEarly));
        return new Outcome(new LoadStats(total.TotalCount, 0, 0, seconds), total, crossNode, health);
    }

    /// <summary>Counts shared by the senders and the members.</summary>
    private sealed class Tally
    {
        public long Sent;
        public long Delivered;
        private long _target = long.MaxValue;
        private int _refusalLines;
        private string? _firstRefusal;
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int RefusalLines => Volatile.Read(ref _refusalLines);

        public string? FirstRefusal => Volatile.Read(ref _firstRefusal);

        public void Refused(string line)
        {
            Interlocked.Increment(ref _refusalLines);
            Interlocked.CompareExchange(ref _firstRefusal, line, null);
        }

        public void OneDelivered()
        {
            if (Interlocked.Increment(ref Delivered) >= Interlocked.Read(ref _target))
                _drained.TrySetResult();
        }

        /// <summary>Waits until <paramref name="expected"/> lines have been delivered, or <paramref name="timeout"/> passed.</summary>
        public async Task DrainedAsync(long expected, TimeSpan timeout, CancellationToken interrupt)
        {
            Interlocked.Exchange(ref _target, expected);
            if (Interlocked.Read(ref Delivered) >= expected)
                return;
            try
            {
                await _drained.Task.WaitAsync(timeout, interrupt).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // what has not arrived by now is not coming: ChatHealth counts it as not delivered
            }
        }
    }

    /// <summary>Opens <paramref name="clients"/> connections, client i to node i % nodes: the result is in client order.</summary>
    private static async Task<OpenConnections> OpenRoundRobinAsync(IReadOnlyList<IPEndPoint> nodes, int clients, BenchTls? tls, CancellationToken interrupt)
    {
        if (nodes.Count == 1)
            return await Connections.OpenAsync(nodes[0], clients, tls, interrupt).ConfigureAwait(false);

        var perNode = new List<OpenConnections>(nodes.Count);
        try
        {
            for (int node = 0; node < nodes.Count; node++)
            {
                int count = (clients - node + nodes.Count - 1) / nodes.Count; // clients i < clients with i % n == node
                perNode.Add(await Connections.OpenAsync(nodes[node], Math.Max(0, count), tls, interrupt).ConfigureAwait(false));
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
    private static async Task JoinAsync(OpenConnections sockets, LineReader[] readers, CancellationToken interrupt)
    {
        for (int i = 0; i < sockets.Count; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
            timeout.CancelAfter(JoinTimeout);
            try
            {
                await sockets[i].SendAsync(Encoding.ASCII.GetBytes($"/nick c{i}\n"), timeout.Token).ConfigureAwait(false);
                while (true)
                {
                    string line = await readers[i].ReadLineAsync(timeout.Token).ConfigureAwait(false)
                        ?? throw new BenchException("the server closed the connection instead of answering /nick: is it the chat app?");
                    if (line.StartsWith("*** you are", StringComparison.Ordinal))
                        break;
                }
            }
            catch (OperationCanceledException) when (!interrupt.IsCancellationRequested)
            {
                throw new BenchException($"no answer to /nick within {JoinTimeout.TotalSeconds:0} s: is the server the chat app?");
            }
        }
    }

    private static async Task SendAsync(BenchConnection socket, Tally tally, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(SendEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                byte[] line = Encoding.ASCII.GetBytes($"t={Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture)}\n");
                await socket.SendAsync(line, stop).ConfigureAwait(false);
                Interlocked.Increment(ref tally.Sent);
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
    /// cross-node when that is another node. Counts the server's refusals (<c>! ...</c> lines),
    /// and says whether the server closed the connection before <paramref name="stop"/>.
    /// </summary>
    private static async Task<(LongHistogram All, LongHistogram CrossNode, bool ClosedEarly)> ReceiveAsync(
        LineReader reader, int node, int nodes, Tally tally, CancellationToken stop, CancellationToken stopReceiving)
    {
        var histogram = Histograms.Create();
        var crossNode = Histograms.Create();
        bool closedEarly = false;
        try
        {
            while (true)
            {
                string? line = await reader.ReadLineAsync(stopReceiving).ConfigureAwait(false);
                if (line is null)
                {
                    closedEarly = !stop.IsCancellationRequested;
                    break;
                }

                if (line.StartsWith("! ", StringComparison.Ordinal))
                {
                    tally.Refused(line);
                    continue;
                }

                int stamp = line.IndexOf("> t=", StringComparison.Ordinal);
                if (stamp >= 0 && long.TryParse(line.AsSpan(stamp + 4), NumberStyles.None, CultureInfo.InvariantCulture, out long sent))
                {
                    long latency = Math.Max(0, Stopwatch.GetTimestamp() - sent);
                    histogram.RecordValue(latency);
                    tally.OneDelivered();
                    if (nodes > 1 && SenderIndex(line, stamp) is int sender && sender % nodes != node)
                        crossNode.RecordValue(latency);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            closedEarly = !stop.IsCancellationRequested;
        }

        return (histogram, crossNode, closedEarly);
    }

    /// <summary>K from a line <c>&lt;cK&gt; t=...</c> whose nick ends at <paramref name="nickEnd"/>; null if the nick is not one of ours.</summary>
    private static int? SenderIndex(string line, int nickEnd) =>
        nickEnd > 2 && line.StartsWith("<c", StringComparison.Ordinal)
        && int.TryParse(line.AsSpan(2, nickEnd - 2), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? index
            : null;
}
