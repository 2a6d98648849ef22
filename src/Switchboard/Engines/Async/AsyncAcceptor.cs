using System.Net.Sockets;
using Switchboard.Engines.Sockets;
using Switchboard.Protocols;

namespace Switchboard.Engines.Async;

/// <summary>Accepts with <c>AcceptAsync</c> and runs each connection's async receive loop.</summary>
internal sealed class AsyncAcceptor(ServerRuntime runtime) : Acceptor(runtime)
{
    private Task _loop = Task.CompletedTask;

    public override Task Stopped => _loop;

    private Socket? _listener;

    public override void StopAccepting() => _listener?.Dispose();

    public override void Start(Socket listener)
    {
        _listener = listener;
        _loop = Task.Run(() => RunAsync(listener));
    }

    private async Task RunAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (Runtime.IsStopping)
                    return;
                Runtime.OnAcceptFailed(e);
                await Task.Delay(ServerRuntime.AcceptRetryDelay).ConfigureAwait(false);
                continue;
            }

            if (Runtime.Admit(socket, CreateConnection) is { } connection)
                _ = connection.RunAsync();
        }
    }

    private SocketConnection CreateConnection(long id, Socket socket, Protocol protocol) =>
        new(id, socket, protocol, Runtime, Runtime.TimerThread);
}
