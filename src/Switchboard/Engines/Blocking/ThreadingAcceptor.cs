using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Engines.Sockets;

namespace Switchboard.Engines.Blocking;

/// <summary>
/// Starts a thread for each connection, which blocks in its reads. A client that would take the
/// process past a limit on threads (<see cref="ThreadBudget"/>) is refused with one line instead.
/// </summary>
internal sealed partial class ThreadingAcceptor(ServerRuntime runtime, ThreadBudget budget) : BlockingAcceptor(runtime)
{
    /// <summary>What a client refused for lack of threads is told.</summary>
    public static readonly Refusal OutOfThreads = new(RefusalKind.OutOfThreads, "server out of threads");

    // Connection threads only read and call the protocol; a small stack lets thousands coexist.
    private const int ConnectionThreadStackSize = 256 * 1024;

    private bool _full; // the budget ran out and no thread has started since (accept thread only)

    protected override Socket? AcceptNext(Socket listener)
    {
        Socket socket = listener.Accept();
        if (budget.TryStart())
            return socket;
        if (!_full)
        {
            _full = true;
            Log.OutOfThreads(Runtime.Logger, budget.Live, budget.FullBecause ?? "a limit on threads");
        }

        Runtime.Refuse(socket, OutOfThreads);
        return null;
    }

    protected override bool Dispatch(SocketConnection connection)
    {
        var thread = new Thread(() => Serve(connection), ConnectionThreadStackSize)
        {
            IsBackground = true,
            Name = $"switchboard-conn-{connection.Id}",
        };
        try
        {
            thread.Start();
            _full = false;
        }
        catch (Exception e) when (e is OutOfMemoryException or ThreadStartException)
        {
            // A limit the budget does not know of (or another process took the room first).
            budget.Ended();
            Log.ThreadStartFailed(Runtime.Logger, budget.Live);
            Runtime.Withdraw(connection, connection.Socket, OutOfThreads);
        }

        return true;
    }

    protected override void OnNotAdmitted() => budget.Ended();

    private void Serve(SocketConnection connection)
    {
        try
        {
            connection.RunBlocking();
        }
        finally
        {
            budget.Ended();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Out of threads: {Limit} leaves no room past {Threads} connection threads; refusing clients until some leave")]
        public static partial void OutOfThreads(ILogger logger, int threads, string limit);

        [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "A connection thread could not start ({Threads} running); refusing the client")]
        public static partial void ThreadStartFailed(ILogger logger, int threads);
    }
}
