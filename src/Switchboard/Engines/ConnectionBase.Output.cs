using System.Diagnostics;
using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Engines;

// The bounded output buffer. Send appends under the state lock and, if no writer is running,
// claims one and starts it (StartWriting); the transport's writer takes chunks with TryTakeOutput
// until it gets none, reporting each write with OnOutputWritten. The state lock is this buffer.
//
// Invariants, under the state lock:
// - _output.Length <= Options.MaxPendingBytes as it was at the last Send (a Send that would pass it
//   ends the connection instead; a reload that lowers it applies from the next Send).
// - Output is appended only while Open. Once discarded (CloseTransport, or a failed write) it is
//   cleared as soon as no chunk is out, and a writer's TryTakeOutput clears what is left.
// - A chunk handed out by TryTakeOutput stays valid until OnOutputWritten: the buffer never
//   rewrites a region it has handed out (OutboundBuffer), and a discard leaves its segments alone.
// - The buffer counts in the server's total (OutputBudget) until the connection is closed
//   (Disconnect stops it counting, under this lock); a Send that leaves the total over the cap
//   enforces it, outside the lock.
// - _aboveSoft: the queue has been over Options.MaxPendingSoftBytes continuously since _softSince
//   (timer ticks); _softCheck: a soft-limit check is scheduled (at most one at a time).
internal abstract partial class ConnectionBase
{
    private readonly OutboundBuffer _output;
    private readonly OutputBudget? _budget;
    private OutputWriter _writer;
    private bool _aboveSoft;
    private bool _softCheck;
    private long _softSince;

    public long PendingBytes
    {
        get
        {
            lock (_output)
                return _output.Length;
        }
    }

    public bool Send(ReadOnlySpan<byte> data)
    {
        bool startWriter = false;
        bool scheduleSoftCheck = false;
        bool tooSlow;
        long pending;
        var options = Options; // once: a reload may replace them meanwhile
        lock (_output)
        {
            if (_life.State != ConnectionState.Open)
                return false;
            if (data.IsEmpty)
                return true;
            pending = _output.Length + data.Length;
            tooSlow = pending > options.MaxPendingBytes;
            if (!tooSlow)
            {
                _output.Append(data);
                if (Diagnostics.ServerMetrics.CountsLines)
                    _linesSent += data.Count((byte)'\n');
                Debug.Assert(_output.Length <= options.MaxPendingBytes, "output stays within its bound");
                startWriter = _writer.TryClaim();
                if (!_aboveSoft && _output.Length > options.MaxPendingSoftBytes && SoftLimitOn(options))
                    scheduleSoftCheck = PassedSoftLimit();
            }
        }

        if (tooSlow)
        {
            Log.SlowConsumer(Logger, RemoteEndPoint, pending, options.MaxPendingBytes);
            Disconnect(DisconnectReason.SlowConsumer);
            return false;
        }

        if (startWriter)
            StartWriting();
        if (scheduleSoftCheck)
            ScheduleInternal(options.MaxPendingSoftTime, CheckSoftLimit);
        if (_budget is { IsOver: true })
            _budget.Enforce();
        return true;
    }

    private static bool SoftLimitOn(ServerOptions options) => options.MaxPendingSoftBytes > 0 && options.MaxPendingSoftTime > TimeSpan.Zero;

    /// <summary>The queue went over the soft limit (under the state lock): true if a check must be scheduled.</summary>
    private bool PassedSoftLimit()
    {
        _aboveSoft = true;
        _softSince = _timers.Now;
        if (_softCheck)
            return false;
        _softCheck = true;
        return true;
    }

    /// <summary>
    /// The soft-limit timer: a connection whose queue has stayed over the soft limit for
    /// <see cref="ServerOptions.MaxPendingSoftTime"/> is disconnected as a slow consumer; one that
    /// went under since is looked at again when it next passes the limit.
    /// </summary>
    private void CheckSoftLimit()
    {
        long overFor;
        long pending;
        lock (_output)
        {
            if (_life.State != ConnectionState.Open || !_aboveSoft)
            {
                _softCheck = false;
                return;
            }

            overFor = _timers.Now - _softSince;
            pending = _output.Length;
        }

        var options = Options; // once: a reload may replace them meanwhile
        long limit = Clock.ToTicks(options.MaxPendingSoftTime);
        if (overFor >= limit)
        {
            Log.SlowConsumerSoft(Logger, RemoteEndPoint, pending, options.MaxPendingSoftBytes, options.MaxPendingSoftTime.TotalSeconds);
            Disconnect(DisconnectReason.SlowConsumer);
        }
        else
        {
            ScheduleInternal(Clock.ToTimeSpan(limit - overFor), CheckSoftLimit);
        }
    }

    /// <summary>
    /// Output was queued and no writer is running: start one, which writes with
    /// <see cref="TryTakeOutput"/> and <see cref="OnOutputWritten"/> until there is nothing left.
    /// Called outside every lock, by whichever thread sent.
    /// </summary>
    protected abstract void StartWriting();

    /// <summary>
    /// The oldest unsent run of output, lent to the caller until it calls
    /// <see cref="OnOutputWritten"/>. False if there is none, or output was discarded: the writer
    /// has then stopped, and the next <c>Send</c> starts another.
    /// </summary>
    /// <param name="chunk">What to write; empty when false.</param>
    protected bool TryTakeOutput(out ReadOnlyMemory<byte> chunk)
    {
        lock (_output)
        {
            if (_writer.IsDiscarded || _output.IsEmpty)
            {
                _writer.Stop();
                if (_writer.IsDiscarded)
                    _output.Clear();
                chunk = ReadOnlyMemory<byte>.Empty;
                return false;
            }

            _writer.Lend();
            chunk = _output.Peek();
            Debug.Assert(!chunk.IsEmpty, "a non-empty buffer has a non-empty head");
            return true;
        }
    }

    /// <summary>
    /// As <see cref="TryTakeOutput"/>, for a gathering writer: the oldest
    /// unsent runs (one per buffer segment, as many as <paramref name="chunks"/> holds), lent together
    /// as one chunk until <see cref="OnOutputWritten"/>; returns how many, 0 when there are none.
    /// </summary>
    /// <param name="chunks">Filled with the runs to write, in order.</param>
    protected int TryTakeOutputRuns(Span<ReadOnlyMemory<byte>> chunks)
    {
        lock (_output)
        {
            if (_writer.IsDiscarded || _output.IsEmpty)
            {
                _writer.Stop();
                if (_writer.IsDiscarded)
                    _output.Clear();
                return 0;
            }

            _writer.Lend();
            int n = _output.PeekRuns(chunks);
            Debug.Assert(n > 0, "a non-empty buffer has a non-empty head");
            return n;
        }
    }

    /// <summary>The writer wrote <paramref name="count"/> bytes (0 if the socket would block) of its chunk, and returns it.</summary>
    protected void OnOutputWritten(int count)
    {
        lock (_output)
        {
            _writer.Return();
            _output.Consume(count);
            _bytesSent += count;
            if (_aboveSoft && _output.Length <= Options.MaxPendingSoftBytes)
                _aboveSoft = false;
        }

        if (count > 0)
            MarkActivity();
    }

    /// <summary>
    /// Drops all pending output and accepts no more writes: the transport is closing. A chunk still
    /// out with a writer keeps its segments until the writer returns it.
    /// </summary>
    protected void DiscardOutput()
    {
        lock (_output)
        {
            if (_writer.Discard())
                _output.Clear();
        }
    }

    /// <summary>The writer failed: it stops, returning its chunk if it had one, and the output is discarded.</summary>
    protected void AbandonOutput()
    {
        long dropped;
        lock (_output)
        {
            if (_writer.IsLent)
                _writer.Return();
            _writer.Stop();
            _writer.Discard();
            dropped = _output.Clear();
        }

        // A peer that went away while its output was flushed (a close waits for it): still counted.
        if (dropped > 0)
            OnDropped(dropped);
    }

    /// <summary>Output that will never be sent: out of the server's total, and counted.</summary>
    private void OnDropped(long bytes)
    {
        Interlocked.Add(ref _bytesDropped, bytes);
        _budget?.OnDropped(bytes);
        _host.OnOutputDropped(bytes);
    }

    /// <summary>The transport calls this when its writer found the output empty: a closing connection may now close.</summary>
    protected void OnOutputDrained()
    {
        DisconnectReason reason;
        lock (_output)
        {
            if (_life.State != ConnectionState.Closing || !_output.IsEmpty)
                return;
            reason = _life.Reason;
        }

        Disconnect(reason);
    }
}
