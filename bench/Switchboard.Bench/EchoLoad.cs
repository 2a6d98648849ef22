using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>
/// C clients, each keeping M messages of S bytes in flight against an echo server. Counted like
/// the NetCoreServer round-trip benchmark: bytes echoed back, divided by S.
/// </summary>
internal static class EchoLoad
{
    public static async Task<LoadStats> RunAsync(IPEndPoint target, int clients, int inFlight, int size, TimeSpan duration, BenchTls? tls, Action started, CancellationToken interrupt)
    {
        using var sockets = await Connections.OpenAsync(target, clients, tls, interrupt).ConfigureAwait(false);
        started(); // connections are open: measure from here
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt); // Ctrl-C ends the load early, with what it counted
        stop.CancelAfter(duration);
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(sockets.Select(s => Task.Run(() => ClientAsync(s, inFlight, size, stop.Token)))).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        long bytes = counts.Sum(c => c.Bytes);
        return new LoadStats(bytes / size, bytes, counts.Sum(c => c.Errors), seconds);
    }

    private static async Task<(long Bytes, long Errors)> ClientAsync(BenchConnection socket, int inFlight, int size, CancellationToken stop)
    {
        var batch = new byte[size * inFlight];
        var receive = new byte[64 * 1024];
        long received = 0;
        long carry = 0;
        try
        {
            await SendAllAsync(socket, batch, stop).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                int n = await socket.ReceiveAsync(receive, stop).ConfigureAwait(false);
                if (n == 0)
                    return (received, 1);
                received += n;
                carry += n;
                long complete = carry / size;
                carry -= complete * size;
                if (complete > 0)
                    await SendAllAsync(socket, batch.AsMemory(0, (int)(complete * size)), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            return (received, 1);
        }

        return (received, 0);
    }

    private static async Task SendAllAsync(BenchConnection socket, ReadOnlyMemory<byte> data, CancellationToken stop)
    {
        while (!data.IsEmpty)
            data = data[await socket.SendAsync(data, stop).ConfigureAwait(false)..];
    }
}
