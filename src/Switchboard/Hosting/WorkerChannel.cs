using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Switchboard.Hosting;

/// <summary>
/// In a prefork server's parent: the channel to one worker. <see cref="Send"/> queues and returns
/// at once, so a worker that reads slowly holds up no one else; messages to one worker arrive in
/// the order sent. The queue is bounded: a worker that stops reading while messages keep coming
/// would otherwise grow the parent without limit. On overflow the parent closes the channel, the
/// worker sees it close and exits, and the pool replaces it, as for any worker that dies.
/// </summary>
public sealed partial class WorkerChannel
{
    /// <summary>Messages queued for one worker at most.</summary>
    internal const int Capacity = 4096;

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity) { SingleReader = true });
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
    /// <see cref="Capacity"/> messages are already waiting, the worker is not reading: the channel
    /// is closed instead (logged), and this and later messages are dropped. Once the channel is
    /// closed (the worker exited, or its channel failed), messages are dropped silently.
    /// </summary>
    /// <param name="message">The bytes; copied before the call returns.</param>
    /// <returns>Whether the message was queued.</returns>
    public bool Send(ReadOnlySpan<byte> message)
    {
        if (Volatile.Read(ref _closed) != 0)
            return false;
        if (_outbound.Writer.TryWrite(Frames.Build(Frames.Message, message)))
            return true;

        // TryWrite also fails once the queue is completed, and only Close completes it, after
        // setting _closed: so if this call is the one that closes, the queue was really full.
        if (!Close())
            return false;
        Log.Overflow(_logger, Pid, Capacity);
        try
        {
            _socket.Shutdown(SocketShutdown.Both); // the worker's end sees the channel close
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        return false;
    }

    /// <summary>
    /// Queues the stop after the messages already queued: the worker reads it only once it has
    /// handled them. False if it could not be queued (the channel is full or closed).
    /// </summary>
    internal bool SendStop() => Volatile.Read(ref _closed) == 0 && _outbound.Writer.TryWrite(Frames.Build(Frames.Stop, []));

    /// <summary>
    /// Asks the worker to retire: to take no more connections, finish the one it serves and
    /// exit, so that a fresh worker (with the options in force) takes its place. False if it could
    /// not be queued.
    /// </summary>
    internal bool SendRetire() => Volatile.Read(ref _closed) == 0 && _outbound.Writer.TryWrite(Frames.Build(Frames.Retire, []));

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

    private async Task PumpAsync()
    {
        try
        {
            await foreach (byte[] frame in _outbound.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                for (int sent = 0; sent < frame.Length;)
                    sent += await _socket.SendAsync(frame.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The worker is gone; its exit is reported separately. Nothing more can reach it.
            Close();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 430, Level = LogLevel.Error, Message = "Worker {Pid} is not reading its messages ({Capacity} queued); closing its channel")]
        public static partial void Overflow(ILogger logger, int pid, int capacity);
    }
}
