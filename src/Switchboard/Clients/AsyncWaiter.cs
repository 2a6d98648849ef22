using System.Net.Sockets;

namespace Switchboard.Clients;

/// <summary>A pending .NET async receive (of the socket, or of the TLS stream over it), raced against the tick and stdin.</summary>
internal sealed class AsyncWaiter(Socket socket, TlsClientConnection? tls, StdinReader? stdin) : IClientWaiter
{
    private readonly byte[] _buffer = new byte[tls is null ? 4096 : 16 * 1024];
    private Task<int>? _receive;
    private Task<bool>? _input;

    public async ValueTask WaitAsync(TimeSpan tick, List<ClientEvent> events, CancellationToken cancellation)
    {
        _receive ??= tls is null
            ? socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, CancellationToken.None).AsTask()
            : tls.Ssl.ReadAsync(_buffer.AsMemory(), CancellationToken.None).AsTask();
        if (stdin is not null)
            _input ??= stdin.Chunks.WaitToReadAsync(cancellation).AsTask();
        var delay = Task.Delay(tick, cancellation);
        await Task.WhenAny(_input is null ? [_receive, delay] : [_receive, delay, _input]).ConfigureAwait(false);

        if (_input is { IsCompleted: true })
        {
            _input = null;
            stdin!.Drain(events);
        }

        if (!_receive.IsCompleted)
            return;
        var receive = _receive;
        _receive = null;
        try
        {
            int n = await receive.ConfigureAwait(false);
            events.Add(n == 0 ? new ClientEvent(ClientEventKind.RemoteClosed) : new ClientEvent(ClientEventKind.Received, _buffer.AsMemory(0, n)));
        }
        catch (SocketException e)
        {
            events.Add(new ClientEvent(ClientEventKind.Failed, Reason: ReadyReceive.Describe(e.SocketErrorCode)));
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

    public void Dispose()
    {
    }
}
