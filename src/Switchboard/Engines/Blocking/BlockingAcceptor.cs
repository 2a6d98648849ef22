using System.Net.Sockets;
using Switchboard.Engines.Sockets;
using Switchboard.Protocols;

namespace Switchboard.Engines.Blocking;

/// <summary>
/// The accept loop the blocking engines share (socketserver's <c>serve_forever</c>): one thread
/// blocks in <c>accept</c>; engines differ only in how they dispatch the connection
/// (socketserver's <c>process_request</c>).
/// </summary>
internal abstract class BlockingAcceptor : Acceptor
{
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected BlockingAcceptor(ServerRuntime runtime)
        : base(runtime)
    {
    }

    public override Task Stopped => _stopped.Task;

    private Socket? _listener;

    public override void StopAccepting() => _listener?.Dispose();

    public override void Start(Socket listener)
    {
        _listener = listener;
        var thread = new Thread(() => Run(listener)) { IsBackground = true, Name = "switchboard-accept" };
        thread.Start();
    }

    /// <summary>Serves <paramref name="connection"/>; runs on the accept thread.</summary>
    protected abstract void Dispatch(SocketConnection connection);

    private void Run(Socket listener)
    {
        try
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = listener.Accept();
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
                    Thread.Sleep(ServerRuntime.AcceptRetryDelay); // e.g. out of descriptors: let some close
                    continue;
                }

                if (Runtime.Admit(socket, CreateConnection) is { } connection)
                    Dispatch(connection);
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private SocketConnection CreateConnection(long id, Socket socket, Protocol protocol) =>
        new(id, socket, protocol, Runtime, Runtime.TimerThread);
}
