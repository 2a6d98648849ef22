using System.Net.Sockets;

namespace Switchboard.Clients;

/// <summary>The seed's select client: one <c>Socket.Select</c> on the socket per tick; stdin comes from a helper thread.</summary>
internal sealed class SelectWaiter : IClientWaiter
{
    private readonly Socket _socket;
    private readonly StdinReader? _stdin;
    private readonly byte[] _buffer = new byte[4096];
    private readonly List<Socket> _read = [];
    private readonly List<Socket> _error = [];

    public SelectWaiter(Socket socket, StdinReader? stdin)
    {
        _socket = socket;
        _socket.Blocking = false;
        _stdin = stdin;
    }

    public ValueTask WaitAsync(TimeSpan tick, List<ClientEvent> events, CancellationToken cancellation)
    {
        _read.Clear();
        _read.Add(_socket);
        _error.Clear();
        _error.Add(_socket);
        Socket.Select(_read, null, _error, (int)(tick.TotalMilliseconds * 1000));
        _stdin?.Drain(events);
        if (_read.Count > 0 || _error.Count > 0)
            ReadyReceive.Into(_socket, _buffer, events);
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
    }
}
