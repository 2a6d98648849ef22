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
/// of the end exactly once. Each <see cref="Send"/> is one text message (the hub sends one event,
/// one JSON object, at a time). Output waits in a queue of at most
/// <see cref="ServerOptions.MaxPendingBytes"/>: past it the reader is too slow, and is closed
/// (status 1008, <c>too slow</c>) with what waits dropped. A message from the page is one line:
/// longer than <see cref="ServerOptions.MaxLineLength"/> bytes, it is dropped and answered as the
/// line protocol answers a long line.
/// </summary>
internal sealed partial class WebSocketConnection : IConnection, IDisposable
{
    /// <summary>How long a closing handshake (ours or the page's) may take before the socket is aborted.</summary>
    public static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

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
    private ChatSession? _session;
    private long _pending;
    private bool _open = true;
    private bool _finished;
    private bool _shuttingDown;
    private long _lastActive; // the clock's timestamp of the last message received or sent (for the idle timeout)
    private int _reason = -1; // the first DisconnectReason decided
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeText = "";

    public WebSocketConnection(WebSocket socket, EndPoint remote, EndPoint local, ServerOptions options, TimeProvider clock, ILogger logger)
    {
        _socket = socket;
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
        lock (_output)
        {
            if (!_open)
                return false;
            if (_pending + data.Length > Options.MaxPendingBytes)
            {
                TooSlow();
                return false;
            }

            _pending += data.Length;
            _queue.Writer.TryWrite(data.ToArray());
            return true;
        }
    }

    public void Close() => CloseWith(DisconnectReason.LocalClosed, WebSocketCloseStatus.NormalClosure, "");

    public void Abort()
    {
        Decide(DisconnectReason.Aborted);
        lock (_output)
            _open = false;
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

        // The page closed, or the socket broke, or we closed and the page answered: nothing more to send.
        Decide(DisconnectReason.RemoteClosed);
        lock (_output)
            _open = false;
        _queue.Writer.TryComplete();
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
            _open = false;
            _closeStatus = status;
            _closeText = text;
        }

        // The writer sends what waits, then the close; the page's close ends the reader.
        _queue.Writer.TryComplete();
    }

    /// <summary>Under <see cref="_output"/>: what waits is dropped, and the page is closed for reading too slowly.</summary>
    private void TooSlow()
    {
        Decide(DisconnectReason.SlowConsumer);
        _open = false;
        _closeStatus = WebSocketCloseStatus.PolicyViolation;
        _closeText = "too slow";
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out _))
        {
        }

        _pending = 0;

        // The page is not reading, so even the close may not get through: the socket is aborted if it has not closed in time.
        _abort.CancelAfter(CloseGrace);
    }

    private async Task ReadAsync()
    {
        int limit = Options.MaxLineLength;
        var buffer = new byte[limit + 1];
        try
        {
            while (true)
            {
                int length = 0;
                bool tooLong = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    // Past the limit the rest of the message is read into the buffer's start and dropped.
                    var room = tooLong ? buffer.AsMemory() : buffer.AsMemory(length);
                    result = await _socket.ReceiveAsync(room, _abort.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                        return;
                    if (!tooLong)
                    {
                        length += result.Count;
                        tooLong = length > limit;
                    }
                }
                while (!result.EndOfMessage);

                if (!IsOpen)
                    continue; // closing: what the page sends now is not read, as a closed TCP connection's is not
                if (tooLong)
                {
                    Call(() => _session!.ReceiveTooLong());
                    continue;
                }

                var bytes = buffer.AsSpan(0, length);
                if (!bytes.IsEmpty && bytes[^1] == (byte)'\n')
                    bytes = bytes[..^1];
                if (!bytes.IsEmpty && bytes[^1] == (byte)'\r')
                    bytes = bytes[..^1];
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
        try
        {
            await foreach (byte[] message in _queue.Reader.ReadAllAsync(_abort.Token).ConfigureAwait(false))
            {
                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, _abort.Token).ConfigureAwait(false);
                lock (_output)
                    _pending = Math.Max(0, _pending - message.Length);
                MarkActive();
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                string text;
                WebSocketCloseStatus status;
                lock (_output)
                    (status, text) = (_closeStatus, _closeText);
                await _socket.CloseOutputAsync(status, text, _abort.Token).ConfigureAwait(false);

                // The page answers the close; one that does not is cut off.
                _abort.CancelAfter(CloseGrace);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            Decide(_abort.IsCancellationRequested ? DisconnectReason.Aborted : DisconnectReason.Error);
            _socket.Abort();
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
                    _open = false;
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
    }
}
