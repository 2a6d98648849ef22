using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Switchboard.Hosting;

/// <summary>
/// In a prefork server's parent: the channel to one worker. <see cref="Send"/> queues and returns
/// at once, so a worker that reads slowly holds up no one else; messages to one worker arrive in
/// the order sent, written in batches (one send carries every frame queued meanwhile, up to
/// <see cref="BatchBytes"/>). The queue is bounded in bytes: a worker that stops reading while
/// messages keep coming would otherwise grow the parent without limit. On overflow the parent
/// ends its sending side of the channel and drops what is queued; the worker sees that, ends its
/// connection as too slow (as a connection that falls that far behind in one process is) and
/// exits, and the pool replaces it.
/// </summary>
public sealed partial class WorkerChannel
{
    /// <summary>
    /// Bytes of frames queued for one worker at most: four times a connection's default output
    /// bound (<see cref="ServerOptions.MaxPendingBytes"/>). A worker serves one connection, so
    /// what waits here is that connection's output on its way; a worker that falls this far
    /// behind is not reading, where one that is merely slower than a flood (its process briefly
    /// without a core) catches up.
    /// </summary>
    internal const long CapacityBytes = 4L * 1024 * 1024;

    /// <summary>Bytes written to the worker in one send at most, when many frames are queued.</summary>
    internal const int BatchBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private long _queuedBytes;
    private int _closed;

    internal WorkerChannel(int pid, Socket socket, ILogger logger)
    {
        Pid = pid;
        _socket = socket;
        _logger = logger;
        _ = PumpAsync();
    }

    /// <summary>The worker's process id.</summary>
    public int Pid { get; }

    /// <summary>
    /// Queues <paramref name="message"/> for the worker's <see cref="ParentChannel.Received"/>. If
    /// it would take what is waiting past <see cref="CapacityBytes"/>, the worker is not reading:
    /// the channel is closed instead (logged), and this and later messages are dropped. A message
    /// larger than the bound on its own is queued when nothing else waits. Once the channel is
    /// closed (the worker exited, or its channel failed), messages are dropped silently.
    /// </summary>
    /// <param name="message">The bytes; copied before the call returns.</param>
    /// <returns>Whether the message was queued.</returns>
    public bool Send(ReadOnlySpan<byte> message)
    {
        if (Volatile.Read(ref _closed) != 0)
            return false;
        var frame = Frames.Build(Frames.Message, message);
        long queued = Interlocked.Add(ref _queuedBytes, frame.Length);
        if (queued <= CapacityBytes || queued == frame.Length)
            return _outbound.Writer.TryWrite(frame); // false only once closed; one message larger than the bound still goes to an empty queue

        if (!Close())
            return false;
        Log.Overflow(_logger, Pid, queued - frame.Length);
        try
        {
            // Only this side: the worker tells it from the parent's death (both sides), and what it
            // still says (its member leaving) reaches the parent.
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        return false;
    }

    /// <summary>
    /// Queues the stop after the messages already queued: the worker reads it only once it has
    /// handled them. Not bounded by <see cref="CapacityBytes"/>: it is the last frame. False if the
    /// channel is closed.
    /// </summary>
    internal bool SendStop() => SendControl(Frames.Stop);

    /// <summary>
    /// Asks the worker to retire: to take no more connections, finish the one it serves and
    /// exit, so that a fresh worker (with the options in force) takes its place. False if the
    /// channel is closed.
    /// </summary>
    internal bool SendRetire() => SendControl(Frames.Retire);

    /// <summary>Queues a control frame (no payload) whatever the queue holds; false once closed.</summary>
    private bool SendControl(byte kind)
    {
        if (Volatile.Read(ref _closed) != 0)
            return false;
        var frame = Frames.Build(kind, []);
        Interlocked.Add(ref _queuedBytes, frame.Length);
        return _outbound.Writer.TryWrite(frame);
    }

    /// <summary>The worker is gone: later messages are dropped, silently.</summary>
    internal void Complete() => Close();

    /// <summary>Closes the queue; true for the caller that closed it first.</summary>
    private bool Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return false;
        _outbound.Writer.TryComplete();
        return true;
    }

    /// <summary>Writes what is queued, in order, as many frames to a send as fit in <see cref="BatchBytes"/>.</summary>
    private async Task PumpAsync()
    {
        var reader = _outbound.Reader;
        byte[]? batch = null;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch = ArrayPool<byte>.Shared.Rent(BatchBytes); // only while there is something to send: a quiet worker's channel holds none
                int batched = 0;
                while (reader.TryPeek(out var frame))
                {
                    if (frame.Length > BatchBytes - batched)
                    {
                        if (batched > 0)
                            break;
                        reader.TryRead(out _); // larger than a batch: sent on its own
                        await SendAsync(frame).ConfigureAwait(false);
                        continue;
                    }

                    reader.TryRead(out _);
                    frame.CopyTo(batch, batched);
                    batched += frame.Length;
                }

                if (batched > 0)
                    await SendAsync(batch.AsMemory(0, batched)).ConfigureAwait(false);
                ArrayPool<byte>.Shared.Return(batch);
                batch = null;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The worker is gone; its exit is reported separately. Nothing more can reach it.
            Close();
        }
        finally
        {
            if (batch is not null)
                ArrayPool<byte>.Shared.Return(batch);
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> frames)
    {
        for (int sent = 0; sent < frames.Length;)
            sent += await _socket.SendAsync(frames[sent..], SocketFlags.None).ConfigureAwait(false);
        Interlocked.Add(ref _queuedBytes, -frames.Length);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 430, Level = LogLevel.Error, Message = "Worker {Pid} is not reading its messages ({Queued} bytes queued); dropping its connection as too slow")]
        public static partial void Overflow(ILogger logger, int pid, long queued);
    }
}
