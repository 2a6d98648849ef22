using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Switchboard.Apps.Chat;
using Switchboard.Protocols;

namespace Switchboard.Cli.Web;

/// <summary>
/// One web page's WebSocket as an <see cref="IConnection"/>, so that a <see cref="ChatSession"/>
/// runs on it as on a TCP connection, with the same guarantees (docs/architecture.md, "The
/// contract"): <see cref="Send"/> never blocks and may be called from any thread; the session's
/// calls and its timers run one at a time (under one lock, since none blocks); the session hears
/// of the end exactly once. Each <see cref="Send"/> is one event, one JSON object (the hub sends one
/// at a time); the writer sends what waits as one text message, the object alone, or a JSON array
/// of the objects when several wait (up to <see cref="MaxBatchBytes"/>), so that a burst costs a
/// page a few sends, not one per event. Output waits in a queue of at most
/// <see cref="ServerOptions.MaxPendingBytes"/>, over <see cref="ServerOptions.MaxPendingSoftBytes"/>
/// for no longer than <see cref="ServerOptions.MaxPendingSoftTime"/>, and counted in the web
/// sockets' total (<see cref="WebOutputBudget"/>): past any of them the reader is too slow, and is
/// closed (status 1008, <c>too slow</c>) with what waits dropped. Every close, ours or the page's,
/// has <see cref="ServerOptions.ShutdownTimeout"/> to finish before the socket is aborted, so that a
/// page that reads nothing cannot hold its socket open. A message from the page is one line (a line
/// end at its end is dropped first): longer than <see cref="ServerOptions.MaxLineLength"/> bytes, it
/// is dropped and answered as the line protocol answers a long line.
/// </summary>
internal sealed partial class WebSocketConnection : IConnection, IDisposable
{
    /// <summary>How much longer than the shutdown timeout a server's stop waits for its sockets' ends (their aborts, past the deadline).</summary>
    public static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>The most bytes of events one message carries when several wait (an event alone may be bigger).</summary>
    public const int MaxBatchBytes = 64 * 1024;

    private static long s_nextId;

    private readonly WebSocket _socket;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly Lock _callbacks = new(); // the session's calls and timers, one at a time
    private readonly Lock _output = new(); // the queue's bookkeeping: Send may come from any thread
    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _timerLock = new(); // the timers' set: disposing one may come from any thread (PacedLines.Stop)
    private readonly HashSet<ITimer> _timers = [];
    private bool _timersStopped;
    private readonly CancellationTokenSource _abort = new();
    private readonly WebOutputBudget? _budget;
    private ChatSession? _session;
    private long _pending;
    private bool _open = true;
    private bool _aboveSoft; // the queue has been over the soft limit since _softSince (the clock's timestamp)
    private bool _softCheck; // a soft-limit check is scheduled
    private long _softSince;
    private int _deadlineArmed;
    private bool _counted = true; // the queue counts in the web sockets' total (while open)
    private volatile bool _discarded; // dropped as too slow: nothing more is sent
    private bool _finished;
    private bool _shuttingDown;
    private long _lastActive; // the clock's timestamp of the last message received or sent (for the idle timeout)
    private int _reason = -1; // the first DisconnectReason decided
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeText = "";

    public WebSocketConnection(WebSocket socket, EndPoint remote, EndPoint local, ServerOptions options, TimeProvider clock, ILogger logger, WebOutputBudget? budget = null)
    {
        _socket = socket;
        _budget = budget;
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        Options = options;
        _clock = clock;
        _logger = logger;
        Id = Interlocked.Increment(ref s_nextId);
    }

    public long Id { get; }

    public EndPoint RemoteEndPoint { get; }

    public EndPoint LocalEndPoint { get; }

    public ServerOptions Options { get; }

    public long PendingBytes
    {
        get
        {
            lock (_output)
                return _pending;
        }
    }

    public bool IsOpen
    {
        get
        {
            lock (_output)
                return _open;
        }
    }

    /// <summary>Why it ended, once it has.</summary>
    public DisconnectReason? Reason => _reason < 0 ? null : (DisconnectReason)_reason;

    public bool Send(ReadOnlySpan<byte> data)
    {
        var options = Options;
        bool scheduleSoftCheck = false;
        lock (_output)
        {
            if (!_open)
                return false;
            if (_pending + data.Length > options.MaxPendingBytes)
            {
                Log.TooSlow(_logger, RemoteEndPoint, _pending + data.Length, options.MaxPendingBytes);
                TooSlow();
                return false;
            }

            SetPending(_pending + data.Length);
            _queue.Writer.TryWrite(data.ToArray());
            if (!_aboveSoft && _pending > options.MaxPendingSoftBytes && SoftLimitOn(options))
            {
                _aboveSoft = true;
                _softSince = _clock.GetTimestamp();
                scheduleSoftCheck = !_softCheck;
                _softCheck = true;
            }
        }

        if (scheduleSoftCheck)
            Schedule(options.MaxPendingSoftTime, CheckSoftLimit);
        if (_budget is { IsOver: true })
            _budget.Enforce();
        return true;
    }

    /// <summary>The web sockets' total is over its cap and this one's queue is the biggest: it is dropped as too slow.</summary>
    public void DropAsTooSlow()
    {
        lock (_output)
        {
            if (_open)
                TooSlow();
        }
    }

    public void Close() => CloseWith(DisconnectReason.LocalClosed, WebSocketCloseStatus.NormalClosure, "");

    public void Abort()
    {
        Decide(DisconnectReason.Aborted);
        lock (_output)
            MarkClosed();
        _queue.Writer.TryComplete();
        CancelNow();
    }

    /// <summary>Once <see cref="RunAsync"/> has returned.</summary>
    public void Dispose() => _abort.Dispose();

    public IDisposable Schedule(TimeSpan delay, Action action) => Timer(delay, Timeout.InfiniteTimeSpan, action, once: true);

    public IDisposable Every(TimeSpan period, Action action)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return Timer(period, period, action, once: false);
    }

    /// <summary>
    /// Serves the page until the socket ends: the session is started, each message handed to it
    /// as a line, and told of the end, once. Returns when both directions are done.
    /// </summary>
    public async Task RunAsync(ChatSession session)
    {
        _session = session;
        var writing = WriteAsync();
        Call(session.Start);
        MarkActive();
        if (Options.IdleTimeout > TimeSpan.Zero)
            Schedule(Options.IdleTimeout, CheckIdle);
        await ReadAsync().ConfigureAwait(false);

        // The page closed, or the socket broke, or we closed and the page answered: nothing more to
        // send but what waits, and a page that reads nothing does not hold the socket for it.
        Decide(DisconnectReason.RemoteClosed);
        lock (_output)
            MarkClosed();
        _queue.Writer.TryComplete();
        ArmCloseDeadline();
        await writing.ConfigureAwait(false);
        Finish();
    }

    /// <summary>The server is stopping: the session says goodbye, then the socket closes (1001, going away) after it.</summary>
    public void Shutdown()
    {
        // The session's goodbye closes the member (the hub's Close, after its last line): as going away.
        Volatile.Write(ref _shuttingDown, true);
        Call(() => _session?.Shutdown());
        Close();
    }

    private void CloseWith(DisconnectReason reason, WebSocketCloseStatus status, string text)
    {
        if (Volatile.Read(ref _shuttingDown))
            (reason, status, text) = (DisconnectReason.ServerShutdown, WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
        lock (_output)
        {
            if (!_open)
                return;
            Decide(reason);
            MarkClosed();
            _closeStatus = status;
            _closeText = text;
        }

        // The writer sends what waits, then the close; the page's close ends the reader. A page
        // that reads nothing never lets the writer finish: the socket is aborted at the deadline.
        _queue.Writer.TryComplete();
        ArmCloseDeadline();
    }

    /// <summary>
    /// From the first close on, the socket has <see cref="ServerOptions.ShutdownTimeout"/> to send what
    /// waits and finish the closing handshake; then it is aborted. Armed once: later closes do not extend it.
    /// </summary>
    private void ArmCloseDeadline()
    {
        if (Interlocked.Exchange(ref _deadlineArmed, 1) != 0)
            return;
        try
        {
            // At least a moment, so that a zero timeout never cancels synchronously under a caller's lock.
            _abort.CancelAfter(Options.ShutdownTimeout > TimeSpan.FromMilliseconds(1) ? Options.ShutdownTimeout : TimeSpan.FromMilliseconds(1));
        }
        catch (ObjectDisposedException)
        {
            // over already
        }
    }

    private static bool SoftLimitOn(ServerOptions options) =>
        options.MaxPendingSoftBytes > 0 && options.MaxPendingSoftTime > TimeSpan.Zero && options.MaxPendingSoftBytes < options.MaxPendingBytes;

    /// <summary>Under <see cref="_output"/>: closed, and its queue no longer counted in the web sockets' total.</summary>
    private void MarkClosed()
    {
        _open = false;
        if (_counted)
            _budget?.Add(-_pending);
        _counted = false;
    }

    /// <summary>Under <see cref="_output"/>: the queue's size, mirrored in the web sockets' total while it counts.</summary>
    private void SetPending(long pending)
    {
        if (_counted)
            _budget?.Add(pending - _pending);
        _pending = pending;
        if (_aboveSoft && pending <= Options.MaxPendingSoftBytes)
            _aboveSoft = false;
    }

    /// <summary>
    /// The soft-limit timer: a socket whose queue has stayed over <see cref="ServerOptions.MaxPendingSoftBytes"/>
    /// for <see cref="ServerOptions.MaxPendingSoftTime"/> is dropped as too slow; one that went under since
    /// is looked at again when it next passes the limit.
    /// </summary>
    private void CheckSoftLimit()
    {
        var options = Options;
        lock (_output)
        {
            if (!_open || !_aboveSoft)
            {
                _softCheck = false;
                return;
            }

            var overFor = _clock.GetElapsedTime(_softSince);
            if (overFor < options.MaxPendingSoftTime)
            {
                // Went under and over again since: looked at when its new time is up.
                Schedule(options.MaxPendingSoftTime - overFor, CheckSoftLimit);
                return;
            }

            Log.TooSlowSoft(_logger, RemoteEndPoint, _pending, options.MaxPendingSoftBytes, options.MaxPendingSoftTime.TotalSeconds);
            TooSlow();
        }
    }

    /// <summary>Under <see cref="_output"/>: what waits is dropped, and the page is closed for reading too slowly.</summary>
    private void TooSlow()
    {
        Decide(DisconnectReason.SlowConsumer);
        MarkClosed();
        _closeStatus = WebSocketCloseStatus.PolicyViolation;
        _closeText = "too slow";
        _discarded = true;
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out _))
        {
        }

        SetPending(0);

        // The page is not reading, so even the close may not get through: the socket is aborted if it has not closed in time.
        ArmCloseDeadline();
    }

    private async Task ReadAsync()
    {
        int limit = Options.MaxLineLength;
        var buffer = new byte[limit + 3]; // the line, its line end (\r\n), and one more: full means too long
        try
        {
            while (true)
            {
                int length = 0;
                bool tooLong = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    // Past the buffer the rest of the message is read into its start and dropped.
                    var room = tooLong ? buffer.AsMemory() : buffer.AsMemory(length);
                    result = await _socket.ReceiveAsync(room, _abort.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                        return;
                    if (!tooLong)
                    {
                        length += result.Count;
                        tooLong = length == buffer.Length;
                    }
                }
                while (!result.EndOfMessage);

                if (!IsOpen)
                    continue; // closing: what the page sends now is not read, as a closed TCP connection's is not

                // The line end is not part of the line: dropped before the line is measured, as the line protocol does.
                var bytes = buffer.AsSpan(0, length);
                if (!tooLong && !bytes.IsEmpty && bytes[^1] == (byte)'\n')
                    bytes = bytes[..^1];
                if (!tooLong && !bytes.IsEmpty && bytes[^1] == (byte)'\r')
                    bytes = bytes[..^1];
                if (tooLong || bytes.Length > limit)
                {
                    Call(() => _session!.ReceiveTooLong());
                    continue;
                }

                MarkActive();
                string line = Encoding.UTF8.GetString(bytes);
                Call(() => _session!.Receive(line));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            Decide(_abort.IsCancellationRequested ? DisconnectReason.Aborted : DisconnectReason.Error);
        }
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var parts = new List<byte[]>();
        byte[]? carried = null; // taken from the queue, but past the last message's size: the next one's first
        try
        {
            while (true)
            {
                byte[] first;
                if (carried is not null)
                    (first, carried) = (carried, null);
                else if (reader.TryRead(out var next))
                    first = next;
                else if (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
                    continue;
                else
                    break;
                if (_discarded)
                    break;

                // What else waits goes with it, as one JSON array, up to the batch's size.
                parts.Clear();
                parts.Add(first);
                int size = first.Length + 1; // and a bracket, or a comma
                while (size < MaxBatchBytes && reader.TryRead(out var more))
                {
                    if (size + more.Length + 1 > MaxBatchBytes)
                    {
                        carried = more;
                        break;
                    }

                    parts.Add(more);
                    size += more.Length + 1;
                }

                await SendEventsAsync(parts, size + 1).ConfigureAwait(false);
                lock (_output)
                    SetPending(Math.Max(0, _pending - (size - parts.Count))); // 0 already if the queue was dropped meanwhile
                MarkActive();
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                string text;
                WebSocketCloseStatus status;
                lock (_output)
                    (status, text) = (_closeStatus, _closeText);
                await _socket.CloseOutputAsync(status, text, _abort.Token).ConfigureAwait(false);

                // The page answers the close; one that does not is cut off (armed by the close already).
                ArmCloseDeadline();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            Decide(_abort.IsCancellationRequested ? DisconnectReason.Aborted : DisconnectReason.Error);
            _socket.Abort();
        }
    }

    /// <summary>One event as it is; several as a JSON array of them, in one message.</summary>
    private async Task SendEventsAsync(List<byte[]> events, int arraySize)
    {
        if (events.Count == 1)
        {
            await _socket.SendAsync(events[0], WebSocketMessageType.Text, endOfMessage: true, _abort.Token).ConfigureAwait(false);
            return;
        }

        byte[] array = ArrayPool<byte>.Shared.Rent(arraySize);
        try
        {
            array[0] = (byte)'[';
            int at = 1;
            for (int i = 0; i < events.Count; i++)
            {
                if (i > 0)
                    array[at++] = (byte)',';
                events[i].CopyTo(array, at);
                at += events[i].Length;
            }

            array[at++] = (byte)']';
            await _socket.SendAsync(array.AsMemory(0, at), WebSocketMessageType.Text, endOfMessage: true, _abort.Token).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private void MarkActive() => Interlocked.Exchange(ref _lastActive, _clock.GetTimestamp());

    /// <summary>
    /// <see cref="ServerOptions.IdleTimeout"/>, as the engines keep it: nothing received or sent for
    /// that long and the socket is closed (status 1000, <c>idle timeout</c>); else looked at again when it could be.
    /// </summary>
    private void CheckIdle()
    {
        var quiet = _clock.GetElapsedTime(Interlocked.Read(ref _lastActive));
        if (quiet >= Options.IdleTimeout)
            CloseWith(DisconnectReason.IdleTimeout, WebSocketCloseStatus.NormalClosure, "idle timeout");
        else
            Schedule(Options.IdleTimeout - quiet, CheckIdle);
    }

    /// <summary>Cuts the socket off: both directions end at once.</summary>
    private void CancelNow()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // over already
        }
    }

    /// <summary>The first reason decided is the one the session hears.</summary>
    private void Decide(DisconnectReason reason) => Interlocked.CompareExchange(ref _reason, (int)reason, -1);

    private void Finish()
    {
        lock (_timerLock)
        {
            _timersStopped = true;
            foreach (var timer in _timers)
                timer.Dispose();
            _timers.Clear();
        }

        lock (_callbacks)
        {
            if (_finished)
                return;
            _finished = true;
        }

        Call(() => _session?.Disconnected((DisconnectReason)_reason), evenFinished: true);
    }

    /// <summary>Runs one of the session's callbacks, serialised with the others; one that throws aborts the connection, logged.</summary>
    private void Call(Action action, bool evenFinished = false)
    {
        lock (_callbacks)
        {
            if (_finished && !evenFinished)
                return;
            try
            {
                action();
            }
#pragma warning disable CA1031 // As an engine does with a protocol's exception: logged, and the connection aborted.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.CallbackFailed(_logger, e, RemoteEndPoint);
                Decide(DisconnectReason.ProtocolError);
                lock (_output)
                    MarkClosed();
                _queue.Writer.TryComplete();
                CancelNow();
            }
        }
    }

    private TimerHandle Timer(TimeSpan due, TimeSpan period, Action action, bool once)
    {
        var handle = new TimerHandle(this);
        lock (_timerLock)
        {
            if (_timersStopped)
                return handle;
            handle.Timer = _clock.CreateTimer(_ => handle.Fire(action, once), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, period);
            _timers.Add(handle.Timer);
        }

        return handle;
    }

    /// <summary>A timer of this connection: cancelled when disposed, or when the connection ends.</summary>
    private sealed class TimerHandle(WebSocketConnection connection) : IDisposable
    {
        private volatile bool _disposed;

        public ITimer? Timer { get; set; }

        public void Fire(Action action, bool once)
        {
            connection.Call(() =>
            {
                if (_disposed)
                    return;
                if (once)
                    Forget();
                action();
            });
        }

        /// <summary>Safe from any thread: takes only the timers' lock, never the callbacks'.</summary>
        public void Dispose() => Forget();

        private void Forget()
        {
            _disposed = true;
            lock (connection._timerLock)
            {
                if (Timer is null)
                    return;
                Timer.Dispose();
                connection._timers.Remove(Timer);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 120, Level = LogLevel.Error, Message = "web chat: the session of {Remote} failed; its socket is aborted")]
        public static partial void CallbackFailed(ILogger logger, Exception exception, EndPoint remote);

        [LoggerMessage(EventId = 123, Level = LogLevel.Warning, Message = "web chat: {Remote} reads too slowly: {Pending} bytes pending would pass the limit of {Limit}")]
        public static partial void TooSlow(ILogger logger, EndPoint remote, long pending, long limit);

        [LoggerMessage(EventId = 124, Level = LogLevel.Warning, Message = "web chat: {Remote} reads too slowly: {Pending} bytes pending, over the soft limit of {Limit} for {Seconds} s")]
        public static partial void TooSlowSoft(ILogger logger, EndPoint remote, long pending, long limit, double seconds);
    }
}
