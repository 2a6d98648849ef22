using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.Support;

/// <summary>A service manager's <c>NOTIFY_SOCKET</c>, played by the test: a Unix datagram socket of its own that serve's messages arrive on.</summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public NotifySocket()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sb-notify-{Guid.NewGuid():N}.sock");
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
    }

    /// <summary>What NOTIFY_SOCKET names.</summary>
    public string Path { get; }

    /// <summary>Receives messages into <paramref name="messages"/> until one satisfies <paramref name="done"/>, within <see cref="Timeouts.Patient"/>.</summary>
    public async Task ReceiveUntilAsync(List<string> messages, Func<string, bool> done)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Timeouts.Patient);
        while (true)
        {
            int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            string message = Encoding.UTF8.GetString(buffer, 0, n);
            messages.Add(message);
            if (done(message))
                return;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(Path);
    }
}
