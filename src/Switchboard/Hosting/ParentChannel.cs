using System.Net.Sockets;
using static Switchboard.Interop.Interop;

namespace Switchboard.Hosting;

/// <summary>
/// In a prefork worker: the channel to the parent, where state shared between connections lives
/// (workers share no memory). Messages are opaque bytes; what they mean is between the app's code
/// in the workers and its <see cref="IWorkerMessageHandler"/> in the parent. The same channel
/// carries the worker's status reports to the pool (<see cref="WorkerStatus"/>), which apps never see. Get it from <see cref="Prefork.Parent"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "One per worker process, for its whole life; the descriptor closes with the process.")]
public sealed class ParentChannel
{
    private readonly Socket _socket;
    private readonly Lock _sendLock = new();
    private readonly ManualResetEventSlim _handlerSet = new();
    private MessageHandler? _received;
    private Action? _retire;
    private bool _retireRequested;
    private Action? _dropped;

    internal ParentChannel(SafeSocketHandle control)
    {
        // The parent made the pair non-blocking; this end is read by a thread of its own, blocking,
        // from the start: the parent's stop must be heard even by a worker that takes no messages.
        Interop.Interop.Fcntl.SetNonBlocking(control, false);
        _socket = new Socket(control);
        new Thread(Read) { IsBackground = true, Name = "switchboard-parent-link" }.Start();
    }

    /// <summary>
    /// Messages from the parent, delivered one at a time, in order, on the channel's own thread.
    /// Messages wait until it is set. When the server stops, the parent's stop comes this way too,
    /// after its last messages: the worker then stops as on SIGTERM, once those are handled.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null: there would be no one to deliver to.</exception>
    /// <exception cref="InvalidOperationException">A handler was already set.</exception>
    public MessageHandler? Received
    {
        get => _received;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_sendLock)
            {
                if (_received is not null)
                    throw new InvalidOperationException("The parent channel has one reader.");
                _received = value;
                _handlerSet.Set();
            }
        }
    }

    /// <summary>Sends <paramref name="message"/> to the parent. Safe from any thread; messages from one thread arrive in order.</summary>
    /// <param name="message">The bytes; copied before the call returns.</param>
    public void Send(ReadOnlySpan<byte> message) => Write(Frames.Message, message);

    internal void Report(byte status) => Write(Frames.Status, [status]);

    internal void ReportAlive(TimeSpan quiet)
    {
        Span<byte> payload = stackalloc byte[5];
        payload[0] = WorkerStatus.Alive;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(payload[1..], (int)Math.Min(quiet.TotalMilliseconds, int.MaxValue));
        Write(Frames.Status, payload);
    }

    internal void ReportServed(Protocols.DisconnectReason reason, long bytesReceived, long bytesSent, long linesReceived, long linesSent, long dropped)
    {
        Span<byte> payload = stackalloc byte[2 + (5 * sizeof(long))];
        payload[0] = WorkerStatus.Served;
        payload[1] = (byte)reason;
        var counts = payload[2..];
        foreach (long count in (ReadOnlySpan<long>)[bytesReceived, bytesSent, linesReceived, linesSent, dropped])
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(counts, count);
            counts = counts[sizeof(long)..];
        }

        Write(Frames.Status, payload);
    }

    /// <summary>
    /// Who retires this worker when the parent asks (<see cref="Frames.Retire"/>): called at once
    /// if the parent asked already, else when it does, once, on the channel's thread.
    /// </summary>
    internal void OnRetire(Action retire)
    {
        bool now;
        lock (_sendLock)
        {
            _retire = retire;
            now = _retireRequested;
        }

        if (now)
            retire();
    }

    /// <summary>
    /// Who ends this worker's connection when the parent drops the worker for not reading its
    /// messages (<see cref="ParentWatch"/> sees the parent, alive, end its side of the channel).
    /// </summary>
    internal void OnDropped(Action dropped)
    {
        lock (_sendLock)
            _dropped = dropped;
    }

    /// <summary>The parent dropped this worker: runs the handler; false if none is set (the worker then stops as on SIGTERM).</summary>
    internal bool Dropped()
    {
        Action? dropped;
        lock (_sendLock)
            dropped = _dropped;
        dropped?.Invoke();
        return dropped is not null;
    }

    private void RequestRetire()
    {
        Action? retire;
        lock (_sendLock)
        {
            if (_retireRequested)
                return;
            _retireRequested = true;
            retire = _retire;
        }

        retire?.Invoke();
    }

    private void Write(byte kind, ReadOnlySpan<byte> payload)
    {
        byte[] frame = Frames.Build(kind, payload);
        lock (_sendLock)
        {
            try
            {
                _socket.Send(frame);
            }
            catch (SocketException)
            {
                // The parent is gone, or closed the channel: ParentWatch is about to end this worker.
            }
        }
    }

    private void Read()
    {
        try
        {
            var reader = new FrameReader(_socket);
            for (var frame = reader.Read().Span; !frame.IsEmpty; frame = reader.Read().Span)
            {
                if (frame[0] == Frames.Message)
                {
                    _handlerSet.Wait();
                    _received!(frame[1..]);
                }
                else if (frame[0] == Frames.Retire)
                    RequestRetire();
                else if (frame[0] == Frames.Stop)
                    ProcessControl.Signal(Environment.ProcessId, ProcessControl.SIGTERM); // as at any stop, after every message before
            }
        }
        catch (SocketException)
        {
            // The parent is gone.
        }
        catch (Exception e) when (e is InvalidDataException or ObjectDisposedException)
        {
            // What came is not a frame: nothing more on this channel can be trusted, so the worker
            // ends as when the channel closes (ParentWatch), saying goodbye to its client.
            ProcessControl.Signal(Environment.ProcessId, ProcessControl.SIGTERM);
        }
    }
}
