using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>
/// Short-lived connections: each client loops connect (with <c>--tls</c>, a full handshake), one
/// small round trip, close. Counts connections served.
/// </summary>
internal static class ChurnLoad
{
    public static async Task<LoadStats> RunAsync(IPEndPoint target, int clients, TimeSpan duration, BenchTls? tls, Action started, CancellationToken interrupt)
    {
        started();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt); // Ctrl-C ends the load early, with what it counted
        stop.CancelAfter(duration);
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(() => ClientAsync(target, tls, stop.Token)))).ConfigureAwait(false);
        if (counts.Sum(c => c.Done) == 0 && counts.Select(c => c.Failure).FirstOrDefault(f => f is not null) is { } failure)
            throw failure; // not one handshake worked: say why, rather than "nothing measured"
        return new LoadStats(counts.Sum(c => c.Done), counts.Sum(c => c.Done) * 2, counts.Sum(c => c.Errors), clock.Elapsed.TotalSeconds);
    }

    private static async Task<(long Done, long Errors, BenchException? Failure)> ClientAsync(IPEndPoint target, BenchTls? tls, CancellationToken stop)
    {
        long done = 0, errors = 0;
        BenchException? failure = null;
        var buffer = new byte[2];
        while (!stop.IsCancellationRequested)
        {
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(target, stop).ConfigureAwait(false);
                using var connection = new BenchConnection(socket, tls is null ? null : await tls.AuthenticateAsync(socket, stop).ConfigureAwait(false));
                await connection.SendAsync("x\n"u8.ToArray(), stop).ConfigureAwait(false);
                for (int got = 0; got < 2;)
                {
                    int n = await connection.ReceiveAsync(buffer.AsMemory(got), stop).ConfigureAwait(false);
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
            catch (BenchException e)
            {
                errors++;
                failure ??= e;
            }
        }

        return (done, errors, failure);
    }
}
