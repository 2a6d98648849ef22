using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>Opens N idle connections, then checks that every one still answers (one byte echoed).</summary>
internal static class ConnectionsLoad
{
    /// <summary>
    /// Opens <paramref name="count"/> connections in two halves, calling <paramref name="halfway"/>
    /// between them: memory read there and at the end gives the cost of one more connection
    /// without the fixed costs (runtime, GC budget) that a before-and-after reading includes.
    /// <paramref name="window"/> connects are in flight at once (1: one after another).
    /// <paramref name="interrupt"/> (Ctrl-C) stops the opening early: the sockets are those that opened.
    /// </summary>
    public static async Task<(double Seconds, OpenConnections Sockets)> OpenAsync(IPEndPoint target, int count, int window, BenchTls? tls, Action halfway, CancellationToken interrupt)
    {
        var clock = Stopwatch.StartNew();
        var sockets = new OpenConnections(count);
        try
        {
            await Connections.OpenMoreAsync(sockets, target, count / 2, window, tls, interrupt).ConfigureAwait(false);
            halfway(); // a read of /proc: well under a millisecond
            await Connections.OpenMoreAsync(sockets, target, count, window, tls, interrupt).ConfigureAwait(false);
            return (clock.Elapsed.TotalSeconds, sockets);
        }
        catch
        {
            sockets.Dispose();
            throw;
        }
    }

    public static async Task<int> CountAnsweringAsync(OpenConnections sockets)
    {
        int answered = 0;
        foreach (var chunk in sockets.Chunk(500))
        {
            var results = await Task.WhenAll(chunk.Select(AnswersAsync)).ConfigureAwait(false);
            answered += results.Count(ok => ok);
        }

        return answered;
    }

    private static async Task<bool> AnswersAsync(BenchConnection socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.SendAsync("!"u8.ToArray(), timeout.Token).ConfigureAwait(false);
            var one = new byte[1];
            return await socket.ReceiveAsync(one, timeout.Token).ConfigureAwait(false) == 1;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
