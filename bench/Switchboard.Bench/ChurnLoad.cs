using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>Short-lived connections: each client loops connect, one small round trip, close. Counts connections served.</summary>
internal static class ChurnLoad
{
    public static async Task<LoadStats> RunAsync(IPEndPoint target, int clients, TimeSpan duration, Action started, CancellationToken interrupt)
    {
        started();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt); // Ctrl-C ends the load early, with what it counted
        stop.CancelAfter(duration);
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(() => ClientAsync(target, stop.Token)))).ConfigureAwait(false);
        return new LoadStats(counts.Sum(c => c.Done), counts.Sum(c => c.Done) * 2, counts.Sum(c => c.Errors), clock.Elapsed.TotalSeconds);
    }

    private static async Task<(long Done, long Errors)> ClientAsync(IPEndPoint target, CancellationToken stop)
    {
        long done = 0, errors = 0;
        var buffer = new byte[2];
        while (!stop.IsCancellationRequested)
        {
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(target, stop).ConfigureAwait(false);
                await socket.SendAsync("x\n"u8.ToArray(), SocketFlags.None, stop).ConfigureAwait(false);
                for (int got = 0; got < 2;)
                {
                    int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, stop).ConfigureAwait(false);
                    if (n == 0)
                        throw new SocketException((int)SocketError.ConnectionReset);
                    got += n;
                }

                done++;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                errors++;
            }
        }

        return (done, errors);
    }
}
