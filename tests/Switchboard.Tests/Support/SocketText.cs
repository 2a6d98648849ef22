using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.Support;

/// <summary>Reading what a peer sends on a raw socket, for tests that play the server themselves.</summary>
public static class SocketText
{
    /// <summary>Everything received until the peer closes, as UTF-8 text; each read bounded by <see cref="Timeouts.Patient"/>.</summary>
    public static async Task<string> ReceiveToEndAsync(this Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[256];
        int n;
        while ((n = await socket.ReceiveAsync(buffer).WaitAsync(Timeouts.Patient)) > 0)
            received.AddRange(buffer.AsSpan(0, n));
        return Encoding.UTF8.GetString([.. received]);
    }
}
