using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Switchboard.Engines.Blocking;
using Switchboard.Engines.Sockets;
using Switchboard.Engines.Timers;
using Switchboard.Hosting;

namespace Switchboard.Engines.Forking;

/// <summary>
/// The forking engine in a worker: the blocking accept loop, taking turns with the other workers
/// on the inherited listening socket, serving one connection at a time on the accept thread (as
/// iterative does), and telling the parent when it is busy and idle. It never closes the
/// inherited listener: closing it could shut it down for the parent and every other worker; the
/// descriptor goes when the process does.
/// </summary>
internal sealed partial class WorkerAcceptor(ServerRuntime runtime, ParentChannel parent, int quota) : BlockingAcceptor(runtime)
{
    // The listener's non-blocking flag is shared by every worker (one open file), so workers poll
    // it and may lose the race for a connection to another worker: that is EAGAIN, not an error.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private volatile bool _stopping;
    private volatile SocketConnection? _current;
    private Timer? _heartbeat;
    private int _served;

    public override void Start(Socket listener)
    {
        listener.Blocking = false;
        // Lets the parent tell this exit from a signal with the same status (see WorkerExit).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => parent.Report(WorkerStatus.Exiting);
        if (Runtime.Options.IdleTimeout > TimeSpan.Zero)
            _heartbeat = new Timer(_ => ReportProgress(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        parent.Report(WorkerStatus.Ready);
        base.Start(listener);
        parent.OnRetire(Retire);
        parent.OnDropped(Drop);
    }

    /// <summary>
    /// The parent dropped this worker for not reading its messages: the connection served ends as
    /// too slow (its app tells whom it should, as for any slow consumer), and the worker takes no
    /// more and exits.
    /// </summary>
    private void Drop()
    {
        Log.Dropped(Runtime.Logger);
        _stopping = true;
        _current?.Disconnect(Protocols.DisconnectReason.SlowConsumer);
    }

    public override void StopAccepting() => _stopping = true;

    /// <summary>The server's options changed in the parent: finish the connection served (if any), take no more, and exit.</summary>
    private void Retire()
    {
        Log.Retiring(Runtime.Logger);
        _stopping = true;
    }

    public override void Dispose()
    {
        _heartbeat?.Dispose();
        base.Dispose();
    }

    protected override bool WaitForConnection(Socket listener)
    {
        while (!_stopping)
        {
            if (listener.Poll(PollInterval, SelectMode.SelectRead) && !_stopping)
                return true;
        }

        return false;
    }

    protected override Socket? AcceptNext(Socket listener)
    {
        Socket socket;
        try
        {
            socket = listener.Accept();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            return null; // another worker took it
        }

        socket.Blocking = true; // .NET gives it the non-blocking mode of the listener it came from
        return socket;
    }

    protected override bool Dispatch(SocketConnection connection)
    {
        parent.Report(WorkerStatus.Busy);
        _current = connection;
        IterativeAcceptor.ServeToTheEnd(connection);
        _current = null;
        parent.ReportServed(connection.Reason ?? Protocols.DisconnectReason.Error, connection.BytesReceived, connection.BytesSent, connection.LinesReceived, connection.LinesSent, connection.BytesDropped);
        parent.Report(WorkerStatus.Idle);
        if (quota > 0 && ++_served >= quota)
        {
            if (Runtime.Logger.IsEnabled(LogLevel.Information))
            {
                string served = Counted.Of(_served, "connection");
                Log.QuotaServed(Runtime.Logger, served);
            }
            return false;
        }

        return true;
    }

    /// <summary>
    /// Tells the parent how long the connection has been quiet. Its own idle timer closes it when
    /// nothing moves; if it is still open well past that, a callback is stuck (an app that blocks
    /// or loops), and only ending the process frees the worker. The parent decides and kills it,
    /// also when these reports stop (a worker that is stopped or wedged cannot judge itself).
    /// </summary>
    private void ReportProgress()
    {
        if (_current is { } connection)
            parent.ReportAlive(Clock.ToTimeSpan(Clock.Now - connection.LastActivity));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 440, Level = LogLevel.Information, Message = "Served {Connections}; retiring so a fresh worker takes over")]
        public static partial void QuotaServed(ILogger logger, string connections);

        [LoggerMessage(EventId = 442, Level = LogLevel.Warning, Message = "The parent dropped this worker for not reading its messages: its connection ends as too slow, and it exits")]
        public static partial void Dropped(ILogger logger);

        [LoggerMessage(EventId = 441, Level = LogLevel.Debug, Message = "The server's settings changed: retiring once the connection served (if any) ends, so a fresh worker takes over")]
        public static partial void Retiring(ILogger logger);
    }
}
