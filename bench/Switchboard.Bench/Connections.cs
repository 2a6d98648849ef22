using System.Net;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>Opening many client connections, from several 127.0.0.x source addresses where one address's ephemeral ports would run out.</summary>
internal static class Connections
{
    private const int PerSourceAddress = 20_000;
    private const int Concurrency = 100;

    /// <summary>Opens <paramref name="count"/> connections; disposing the result closes them all.</summary>
    public static async Task<OpenConnections> OpenAsync(IPEndPoint target, int count)
    {
        var sockets = new OpenConnections(count);
        for (int start = 0; start < count; start += Concurrency)
        {
            var batch = Enumerable.Range(start, Math.Min(Concurrency, count - start)).Select(i => OpenOneAsync(target, i));
            sockets.AddRange(await Task.WhenAll(batch).ConfigureAwait(false));
        }

        return sockets;
    }

    private static async Task<Socket> OpenOneAsync(IPEndPoint target, int index)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (IPAddress.IsLoopback(target.Address) && target.AddressFamily == AddressFamily.InterNetwork && index >= PerSourceAddress)
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(2 + (index / PerSourceAddress))]), 0));
            await socket.ConnectAsync(target).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>Client sockets that close together.</summary>
internal sealed class OpenConnections(int capacity) : List<Socket>(capacity), IDisposable
{
    public void Dispose()
    {
        foreach (var socket in this)
            socket.Dispose();
    }
}
