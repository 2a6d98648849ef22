using System.Text;
using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// Flood control for one chat connection, whatever its front-end ("fakelag", as IRC servers call
/// it): a line is handled at once while the connection's token bucket has a token; after that it
/// waits its turn, and so does every line after it, so answers keep the order of the lines. A
/// connection with more waiting than <see cref="ChatOptions.MaxQueuedLines"/> lines or
/// <see cref="ChatOptions.MaxQueuedBytes"/> bytes overflows: the queue is dropped and the
/// front-end told why, to say goodbye. Used from the connection's callbacks, on its own thread,
/// but for <see cref="Stop"/>, which may come from another connection's thread (a member found too
/// slow during someone else's fan-out): it only sets a flag and cancels the timer, and the queue is
/// left to the owner's thread, which sees the flag and drops it.
/// </summary>
internal sealed class PacedLines
{
    private static readonly TimeSpan ReloadCheck = TimeSpan.FromSeconds(1);

    private readonly LiveChatOptions _live;
    private readonly TokenBucket _bucket;
    private ChatOptions _options; // the settings the bucket was last tuned to
    private readonly IConnection _connection;
    private readonly Action<string?> _handle;
    private readonly Action<string> _overflow;
    private readonly Queue<string?> _queued = new(); // null: a line that was too long, answered in its turn
    private long _queuedBytes;
    private IDisposable? _timer;
    private volatile bool _stopped;

    /// <param name="options">The rate, burst and queue limits, followed when a reload changes them.</param>
    /// <param name="clock">The bucket's clock.</param>
    /// <param name="connection">Whose timers pace the queue.</param>
    /// <param name="handle">Handles a line in its turn; null for a line that was too long (it costs no token).</param>
    /// <param name="overflow">Told, with the reason (<c>too many lines queued (max 100 lines)</c>), when the queue overflows; nothing is handled after it.</param>
    public PacedLines(LiveChatOptions options, TimeProvider clock, IConnection connection, Action<string?> handle, Action<string> overflow)
    {
        _live = options;
        _options = options.Current;
        _bucket = new TokenBucket(_options.Rate, _options.Burst, clock);
        _connection = connection;
        _handle = handle;
        _overflow = overflow;
    }

    /// <summary>A line received: handled now, or queued behind those waiting.</summary>
    public void Offer(string line)
    {
        if (_stopped)
            return;
        FollowReload();
        if (_queued.Count > 0 || !_bucket.TryTake())
            Enqueue(line, Encoding.UTF8.GetByteCount(line) + 1);
        else
            _handle(line);
    }

    /// <summary>A line that was too long: answered now, or in its turn behind those waiting.</summary>
    public void OfferTooLong()
    {
        if (_stopped)
            return;
        if (_queued.Count > 0)
            Enqueue(null, 0);
        else
            _handle(null);
    }

    /// <summary>
    /// The client has gone (it closed, or its connection broke) with lines still waiting: they were
    /// sent, so each is handled now, in order, without waiting for its turn (at most
    /// <see cref="ChatOptions.MaxQueuedLines"/> of them); a <c>QUIT</c> among them is a quit, not a drop.
    /// Then nothing more is handled.
    /// </summary>
    public void FlushAfterClose()
    {
        _timer?.Dispose();
        _timer = null;
        while (!_stopped && _queued.TryDequeue(out string? line))
            _handle(line);
        Stop();
    }

    /// <summary>Handles nothing more (the member left); what waits is dropped. Safe from any thread.</summary>
    public void Stop()
    {
        _stopped = true;
        _timer?.Dispose();
    }

    /// <summary>Settings changed by a reload: the rate and burst apply from this line on, to what is queued too. On the connection's callback thread, as the rest.</summary>
    /// <summary>
    /// When to look at the queue again: when the next token is due, but within a second, so that a
    /// reload that quickens the rate reaches lines already waiting without a new line to notice it.
    /// </summary>
    private TimeSpan NextTurn()
    {
        var due = _bucket.UntilNext();
        return due < ReloadCheck ? due : ReloadCheck;
    }

    private void FollowReload()
    {
        var current = _live.Current;
        if (ReferenceEquals(current, _options))
            return;
        _options = current;
        _bucket.Retune(current.Rate, current.Burst);
        if (_timer is not null)
        {
            // The line waiting was timed at the old rate: time it again at the new one.
            _timer.Dispose();
            _timer = _connection.Schedule(NextTurn(), Drain);
        }
    }

    private void Enqueue(string? line, int bytes)
    {
        bool tooMany = _queued.Count >= _options.MaxQueuedLines;
        if (tooMany || _queuedBytes + bytes > _options.MaxQueuedBytes)
        {
            Stop();
            ChatMetrics.OnRefused(_queued.Count + 1);
            _queued.Clear();
            _queuedBytes = 0;
            _overflow(tooMany
                ? $"too many lines queued (max {_options.MaxQueuedLines} lines)"
                : $"too many lines queued (max {_options.MaxQueuedBytes} bytes)");
            return;
        }

        _queued.Enqueue(line);
        _queuedBytes += bytes;
        if (line is not null)
            ChatMetrics.OnDelayed();
        _timer ??= _connection.Schedule(NextTurn(), Drain);
    }

    /// <summary>The pace timer: handles queued lines, in order, as long as there are tokens; then waits for the next.</summary>
    private void Drain()
    {
        _timer = null;
        FollowReload();
        if (_stopped)
        {
            _queued.Clear();
            return;
        }

        while (_queued.Count > 0 && !_stopped && _connection.IsOpen)
        {
            // A too-long line costs no token: it is dropped, and answered in its turn.
            string? line = _queued.Peek();
            if (line is not null && !_bucket.TryTake())
            {
                _timer = _connection.Schedule(NextTurn(), Drain);
                return;
            }

            _queued.Dequeue();
            if (line is not null)
                _queuedBytes -= Encoding.UTF8.GetByteCount(line) + 1;
            _handle(line);
        }
    }
}
