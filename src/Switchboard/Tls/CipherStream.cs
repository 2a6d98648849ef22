using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Switchboard.Protocols;

namespace Switchboard.Tls;

/// <summary>
/// The stream under a connection's <see cref="System.Net.Security.SslStream"/>: what the engine
/// received is pushed in (<see cref="Push"/>) and read out by the SslStream; what the SslStream
/// writes goes to the connection's <see cref="IConnection.Send"/>, which never blocks.
/// <para>
/// A read with nothing buffered stays pending until the next push, which completes it on the
/// pushing thread (the continuation runs inline: no thread pool), so the SslStream decrypts
/// inside the engine's <c>OnReceived</c>, under the connection's serialisation.
/// </para>
/// Invariants: at most one read is pending (SslStream reads one at a time), and a pending read
/// means nothing is buffered. Reads and pushes run under the connection's gate; writes may come
/// from any thread (the caller serialises them).
/// </summary>
internal sealed class CipherStream : Stream, IValueTaskSource<int>
{
    /// <summary>The largest receive buffer kept once drained; a bigger one (a burst) is let go.</summary>
    private const int KeptBufferSize = 4096;

    private readonly IConnection _connection;
    private ManualResetValueTaskSourceCore<int> _pendingRead; // RunContinuationsAsynchronously stays false: inline
    private Memory<byte> _pendingBuffer;
    private bool _readPending;
    private byte[] _buffered = [];
    private int _bufferedStart;
    private int _bufferedEnd;
    private bool _ended;

    /// <param name="connection">Where written bytes go.</param>
    /// <param name="maxBuffered">How many received bytes may wait unread before <see cref="Push"/> refuses more.</param>
    public CipherStream(IConnection connection, int maxBuffered)
    {
        _connection = connection;
        MaxBuffered = maxBuffered;
    }

    /// <summary>How many received bytes may wait unread before <see cref="Push"/> refuses more.</summary>
    public int MaxBuffered { get; set; }

    /// <summary>Whether the SslStream waits for bytes from the peer right now.</summary>
    public bool IsReadPending => _readPending;

    /// <summary>The first byte the peer sent, or -1 before any: a TLS client's is 22 (a handshake record).</summary>
    public int FirstByte { get; private set; } = -1;

    /// <summary>False once a write was refused by the connection (closed, or its output over the limit).</summary>
    public bool LastWriteAccepted { get; private set; } = true;

    /// <summary>Bytes the peer sent that wait to be read.</summary>
    public int Buffered => _bufferedEnd - _bufferedStart;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Hands the peer's bytes to the reader: a pending read gets what fits at once (and its
    /// continuation runs before this returns); the rest waits. False, and nothing taken, if that
    /// would leave more than the limit waiting.
    /// </summary>
    public bool Push(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || _ended)
            return true;
        if (FirstByte < 0)
            FirstByte = data[0];
        int given = 0;
        if (_readPending)
            given = Math.Min(data.Length, _pendingBuffer.Length);
        if (Buffered + data.Length - given > MaxBuffered)
            return false;
        if (given > 0)
            data[..given].CopyTo(_pendingBuffer.Span);
        Append(data[given..]);
        if (_readPending)
            CompleteRead(given); // 0 for a zero-byte read: "there is something to read now"
        return true;
    }

    /// <summary>The peer sent its last byte (or the connection ended): a pending read and every later one return 0.</summary>
    public void End()
    {
        _ended = true;
        if (_readPending && Buffered == 0)
            CompleteRead(0);
    }

    /// <summary>
    /// Reads what was pushed, or waits for the next push. A zero-byte read (SslStream makes one
    /// before it rents its buffer for a record) also waits, and returns 0 once there is something
    /// to read, so an idle connection holds no buffer of the SslStream's.
    /// </summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Debug.Assert(!_readPending, "SslStream reads one at a time");
        if (Buffered > 0)
        {
            int n = Math.Min(buffer.Length, Buffered);
            _buffered.AsSpan(_bufferedStart, n).CopyTo(buffer.Span);
            _bufferedStart += n;
            if (_bufferedStart == _bufferedEnd && _buffered.Length > KeptBufferSize)
            {
                _buffered = []; // a burst is over: an idle connection keeps no big buffer
                _bufferedStart = _bufferedEnd = 0;
            }

            return ValueTask.FromResult(n);
        }

        if (_ended)
            return ValueTask.FromResult(0);
        _pendingRead.Reset();
        _pendingBuffer = buffer;
        _readPending = true;
        return new ValueTask<int>(this, _pendingRead.Version);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("TLS on an engine's connection reads only asynchronously");

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_connection.Send(buffer))
            LastWriteAccepted = false;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    int IValueTaskSource<int>.GetResult(short token) => _pendingRead.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _pendingRead.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _pendingRead.OnCompleted(continuation, state, token, flags);

    private void CompleteRead(int count)
    {
        _readPending = false;
        _pendingBuffer = default;
        _pendingRead.SetResult(count); // runs the SslStream's continuation here
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        if (_bufferedStart == _bufferedEnd)
            _bufferedStart = _bufferedEnd = 0;
        if (_buffered.Length - _bufferedEnd < data.Length)
        {
            int live = Buffered;
            var bigger = live + data.Length <= _buffered.Length ? _buffered : new byte[Math.Max(live + data.Length, _buffered.Length * 2)];
            _buffered.AsSpan(_bufferedStart, live).CopyTo(bigger);
            _buffered = bigger;
            _bufferedStart = 0;
            _bufferedEnd = live;
        }

        data.CopyTo(_buffered.AsSpan(_bufferedEnd));
        _bufferedEnd += data.Length;
    }
}
