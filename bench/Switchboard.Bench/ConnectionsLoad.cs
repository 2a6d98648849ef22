using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>Opens N idle connections, then checks that every one still answers (one byte echoed).</summary>
internal static class ConnectionsLoad
{
    public static async Task<(double Seconds, int Answered, OpenConnections Sockets)> OpenAsync(IPEndPoint target, int count)
    {
        var clock = Stopwatch.StartNew();
        var sockets = await Connections.OpenAsync(target, count).ConfigureAwait(false);
        return (clock.Elapsed.TotalSeconds, 0, sockets);
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

    private static async Task<bool> AnswersAsync(Socket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.SendAsync("!"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var one = new byte[1];
            return await socket.ReceiveAsync(one, SocketFlags.None, timeout.Token).ConfigureAwait(false) == 1;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
