using System.Collections.Concurrent;

namespace Switchboard.Engines.Sockets;

/// <summary>
/// Send operations shared by every <see cref="SocketConnection"/> of the process: a connection's
/// send pump takes one while it has output and gives it back when it stops, so an idle connection
/// holds none (an operation is some 340 bytes, with the event arguments' own parts). Each
/// thread-pool thread keeps the last one it was given back, as the array pool does, so a pump
/// started where one ended takes it without touching the shared queue (a connection's own thread,
/// on threading, keeps none: it would hold one for the connection's life, and leave it to the
/// finalizer when the thread ends); the queue keeps at most
/// <see cref="Capacity"/> more, and one given back beyond that is disposed.
/// </summary>
internal static class SocketOperationPool
{
    /// <summary>Idle operations kept: enough for that many pumps running at once without allocating.</summary>
    internal const int Capacity = 1024;

    private static readonly ConcurrentQueue<SocketOperation> Idle = new();
    private static int _idleCount;

    [ThreadStatic]
    private static SocketOperation? t_last;

    /// <summary>An idle operation, or a new one: the caller owns it until <see cref="Return"/>.</summary>
    public static SocketOperation Rent()
    {
        if (t_last is { } last)
        {
            t_last = null;
            return last;
        }

        if (Idle.TryDequeue(out var operation))
        {
            Interlocked.Decrement(ref _idleCount);
            return operation;
        }

        return new SocketOperation();
    }

    /// <summary>Gives back an operation that has completed (none of its sends is in flight) and lets go of its buffer.</summary>
    public static void Return(SocketOperation operation)
    {
        operation.SetBuffer(Memory<byte>.Empty);
        if (t_last is null && Thread.CurrentThread.IsThreadPoolThread)
        {
            t_last = operation;
            return;
        }

        if (Interlocked.Increment(ref _idleCount) <= Capacity)
        {
            Idle.Enqueue(operation);
            return;
        }

        Interlocked.Decrement(ref _idleCount);
        operation.Dispose();
    }
}
