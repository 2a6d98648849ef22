using System.Net.Sockets;

namespace Switchboard.Clients;

/// <summary>
/// TLS for a readiness waiter: what the socket gives (read without blocking) is fed to the TLS
/// layer, and a read of plain text stays pending on it; that read completes when a whole record
/// has arrived, possibly with more records decrypted and held, which <see cref="Buffered"/> reports
/// so the waiter does not sleep on a socket that has nothing more to say.
/// </summary>
internal sealed class TlsReceiver : IReadyReceiver
{
    private readonly Socket _socket;
    private readonly TlsClientConnection _tls;
    private readonly byte[] _raw = new byte[16 * 1024 + 512]; // a whole TLS record and its overhead
    private readonly byte[] _plain = new byte[16 * 1024];
    private Task<int>? _read;

    public TlsReceiver(Socket socket, TlsClientConnection tls)
    {
        _socket = socket;
        _tls = tls;
        _tls.Feed.StartFeeding();
    }

    public bool Buffered => Read().IsCompleted;

    public void Receive(List<ClientEvent> events, bool socketReady)
    {
        var read = Read();
        if (socketReady && !Feed(events))
            return;
        if (!read.IsCompleted)
            return;
        _read = null; // the next read starts at the next wait, once these bytes are shown
        try
        {
            int n = read.GetAwaiter().GetResult();
            events.Add(n == 0 ? new ClientEvent(ClientEventKind.RemoteClosed) : new ClientEvent(ClientEventKind.Received, _plain.AsMemory(0, n)));
        }
        catch (IOException e)
        {
            events.Add(new ClientEvent(ClientEventKind.Failed, Reason: TlsClientConnection.Describe(e)));
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            events.Add(new ClientEvent(ClientEventKind.Failed, Reason: $"TLS error: {e.Message}"));
        }
    }

    private Task<int> Read() => _read ??= _tls.Ssl.ReadAsync(_plain).AsTask();

    /// <summary>Hands what the socket has to the TLS layer; false (with the event added) if the socket failed.</summary>
    private bool Feed(List<ClientEvent> events)
    {
        int n = _socket.Receive(_raw, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
            return true;
        if (error != SocketError.Success)
        {
            events.Add(new ClientEvent(ClientEventKind.Failed, Reason: ReadyReceive.Describe(error)));
            return false;
        }

        if (n == 0)
            _tls.Feed.PushEnd();
        else
            _tls.Feed.Push(_raw.AsSpan(0, n));
        return true;
    }
}
