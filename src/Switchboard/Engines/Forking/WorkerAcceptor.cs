using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Switchboard.Engines.Sockets;
using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Engines.Forking;

/// <summary>
/// A worker's side of the forking engine: takes turns with the other workers accepting from the
/// inherited listening socket, serves one connection at a time, and tells the parent when it is
/// busy and idle. It never closes the inherited listener: closing it could shut it down for the
/// parent and every other worker; the descriptor goes when the process does.
/// </summary>
internal sealed partial class WorkerAcceptor : Acceptor
{
    // The listener's non-blocking flag is shared by every worker (one open file), so workers poll
    // it and may lose the race for a connection to another worker: that is EAGAIN, not an error.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly ParentLink _parent;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private volatile SocketConnection? _current;
    private Timer? _heartbeat;

    public WorkerAcceptor(ServerRuntime runtime)
        : base(runtime)
    {
        _parent = ForkingWorker.Parent!;
    }

    public override Task Stopped => _stopped.Task;

    public override void Start(Socket listener)
    {
        listener.Blocking = false;
        // Lets the parent tell this exit from a signal with the same status (see WorkerExit).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Tell(WorkerMessage.Exiting);
        if (Runtime.Options.IdleTimeout > TimeSpan.Zero)
            _heartbeat = new Timer(_ => ReportProgress(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var thread = new Thread(() => Run(listener)) { IsBackground = true, Name = "switchboard-worker" };
        thread.Start();
    }

    public override void StopAccepting() => _stopping = true;

    public override void Dispose()
    {
        _heartbeat?.Dispose();
        base.Dispose();
    }

    private void Run(Socket listener)
    {
        int served = 0;
        int quota = Runtime.Options.Workers.ConnectionsPerWorker;
        try
        {
            Tell(WorkerMessage.Ready);
            while (!_stopping)
            {
                if (!listener.Poll(PollInterval, SelectMode.SelectRead) || _stopping)
                    continue;
                Socket socket;
                try
                {
                    socket = listener.Accept();
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                {
                    continue;
                }
                catch (SocketException e)
                {
                    Runtime.OnAcceptFailed(e);
                    Thread.Sleep(ServerRuntime.AcceptRetryDelay);
                    continue;
                }

                Serve(socket);
                if (quota > 0 && ++served >= quota)
                {
                    Log.QuotaServed(Runtime.Logger, served);
                    return;
                }
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void Serve(Socket socket)
    {
        socket.Blocking = true;
        Tell(WorkerMessage.Busy);
        if (Runtime.Admit(socket, CreateConnection) is { } connection)
        {
            _current = connection;
            connection.RunBlocking();
            connection.Completion.Wait();
            _current = null;
        }

        Tell(WorkerMessage.Idle);
    }

    private SocketConnection CreateConnection(long id, Socket socket, Protocol protocol) =>
        new(id, socket, protocol, Runtime, Runtime.TimerThread);

    private void Tell(byte status) => _parent.SendStatus(status);

    /// <summary>
    /// Tells the parent how long the connection has been quiet. Its own idle timer closes it when
    /// nothing moves; if it is still open well past that, a callback is stuck (an app that blocks
    /// or loops), and only ending the process frees the worker. The parent decides and kills it,
    /// also when these reports stop (a worker that is stopped or wedged cannot judge itself).
    /// </summary>
    private void ReportProgress()
    {
        if (_current is { } connection)
            _parent.SendAlive(Clock.ToTimeSpan(Clock.Now - connection.LastActivity));
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Served {Count} connections; retiring so a fresh worker takes over")]
        public static partial void QuotaServed(ILogger logger, int count);
    }
}
