using System.Net.Sockets;
using Switchboard.Engines.Sockets;
using Switchboard.Protocols;

namespace Switchboard.Engines.Blocking;

/// <summary>
/// The accept loop the blocking engines share (socketserver's <c>serve_forever</c>): one thread
/// blocks in <c>accept</c>; engines differ only in how they dispatch the connection
/// (socketserver's <c>process_request</c>): on the accept thread (iterative), on a thread of its
/// own (threading), or on the accept thread of a prefork worker that tells its parent (forking).
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

    /// <summary>Serves <paramref name="connection"/>; runs on the accept thread. False: accept no more.</summary>
    protected abstract bool Dispatch(SocketConnection connection);

    /// <summary>The connection <see cref="AcceptNext"/> took was refused or gone before it was admitted (<see cref="Dispatch"/> is not called).</summary>
    protected virtual void OnNotAdmitted()
    {
    }

    /// <summary>Waits until a connection may be waiting; false to stop accepting. By default the accept itself waits.</summary>
    protected virtual bool WaitForConnection(Socket listener) => true;

    /// <summary>Takes the next connection, or null if there was none to take after all.</summary>
    /// <exception cref="SocketException">The accept failed.</exception>
    /// <exception cref="ObjectDisposedException">The listener was closed: accepting has stopped.</exception>
    protected virtual Socket? AcceptNext(Socket listener) => listener.Accept();

    private void Run(Socket listener)
    {
        try
        {
            while (WaitForConnection(listener))
            {
                Socket? socket;
                try
                {
                    socket = AcceptNext(listener);
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

                if (socket is null)
                    continue;
                if (Runtime.Admit(socket, CreateConnection) is not { } connection)
                    OnNotAdmitted();
                else if (!Dispatch(connection))
                    return;
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
