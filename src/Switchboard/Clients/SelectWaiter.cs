using System.Net.Sockets;

namespace Switchboard.Clients;

/// <summary>The seed's select client: one <c>Socket.Select</c> on the socket per tick; stdin comes from a helper thread.</summary>
internal sealed class SelectWaiter : IClientWaiter
{
    private readonly Socket _socket;
    private readonly IReadyReceiver _receiver;
    private readonly StdinReader? _stdin;
    private readonly List<Socket> _read = [];
    private readonly List<Socket> _error = [];

    public SelectWaiter(Socket socket, IReadyReceiver receiver, StdinReader? stdin)
    {
        _socket = socket;
        _receiver = receiver;
        _stdin = stdin;
    }

    public ValueTask WaitAsync(TimeSpan tick, List<ClientEvent> events, CancellationToken cancellation)
    {
        _read.Clear();
        _read.Add(_socket);
        _error.Clear();
        _error.Add(_socket);
        // Data the receiver already holds (TLS) is not on the socket: look, but do not wait.
        Socket.Select(_read, null, _error, _receiver.Buffered ? 0 : (int)(tick.TotalMilliseconds * 1000));
        _stdin?.Drain(events);
        _receiver.Receive(events, socketReady: _read.Count > 0 || _error.Count > 0);
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
    }
}
