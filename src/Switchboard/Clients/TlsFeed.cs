using System.Net.Sockets;

namespace Switchboard.Clients;

/// <summary>
/// The stream under a client's <see cref="System.Net.Security.SslStream"/>: it writes to the socket
/// itself, and reads from it directly (the handshake, and the async wait mode) or, once
/// <see cref="StartFeeding"/> is called, only what a readiness waiter received and handed over with
/// <see cref="Push"/>, like a memory BIO. Fed so, the TLS layer never blocks on the socket and the
/// waiter stays the only one that waits: a record that yields no plain text (a session ticket)
/// just leaves the TLS layer asking for more. It also keeps the first bytes each way, so a failed
/// handshake can tell a server that does not speak TLS at all.
/// </summary>
internal sealed class TlsFeed(Socket socket) : Stream
{
    /// <summary>How many of the first bytes each way are kept for <see cref="FirstReceived"/> and <see cref="FirstSent"/>.</summary>
    public const int Kept = 8;

    private readonly byte[] _firstReceived = new byte[Kept];
    private readonly byte[] _firstSent = new byte[Kept];
    private int _receivedKept;
    private int _sentKept;
    private bool _feeding;
    private byte[] _pending = new byte[4096];
    private int _pendingStart;
    private int _pendingEnd;
    private bool _ended;
    private TaskCompletionSource<int>? _waiting;
    private Memory<byte> _waitingBuffer;

    /// <summary>The first bytes the server sent (up to <see cref="Kept"/>).</summary>
    public ReadOnlySpan<byte> FirstReceived => _firstReceived.AsSpan(0, _receivedKept);

    /// <summary>The first bytes sent to the server (up to <see cref="Kept"/>).</summary>
    public ReadOnlySpan<byte> FirstSent => _firstSent.AsSpan(0, _sentKept);

    /// <summary>The TLS layer is waiting for bytes from the socket (it has no whole record to decrypt).</summary>
    public bool Starved => _waiting is not null;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>From now on reads take only what <see cref="Push"/> hands over; the socket is the waiter's.</summary>
    public void StartFeeding() => _feeding = true;

    /// <summary>
    /// Hands over bytes received from the socket. A read the TLS layer has waiting completes at
    /// once, on this thread, so what it decrypts is ready when this returns.
    /// </summary>
    public void Push(ReadOnlySpan<byte> data)
    {
        if (_waiting is { } waiting)
        {
            int n = Math.Min(data.Length, _waitingBuffer.Length);
            data[..n].CopyTo(_waitingBuffer.Span);
            Keep(_firstReceived, ref _receivedKept, data[..n]);
            data = data[n..];
            Append(data);
            _waiting = null;
            _waitingBuffer = default;
            waiting.SetResult(n);
            return;
        }

        Append(data);
    }

    /// <summary>The server closed its side: the TLS layer reads the end once it has taken what was pushed.</summary>
    public void PushEnd()
    {
        _ended = true;
        if (_waiting is { } waiting)
        {
            _waiting = null;
            _waitingBuffer = default;
            waiting.SetResult(0);
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_feeding)
            return ReceiveDirectAsync(buffer, cancellationToken);
        if (_pendingEnd > _pendingStart)
        {
            int n = Math.Min(buffer.Length, _pendingEnd - _pendingStart);
            _pending.AsSpan(_pendingStart, n).CopyTo(buffer.Span);
            Keep(_firstReceived, ref _receivedKept, buffer.Span[..n]);
            _pendingStart += n;
            return ValueTask.FromResult(n);
        }

        if (_ended)
            return ValueTask.FromResult(0);
        // Synchronous continuations: Push completes the TLS layer's read on the waiter's thread.
        _waiting = new TaskCompletionSource<int>();
        _waitingBuffer = buffer;
        return new ValueTask<int>(_waiting.Task);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_feeding)
            throw new NotSupportedException("a fed TLS stream is read asynchronously");
        int received = socket.Receive(buffer);
        Keep(_firstReceived, ref _receivedKept, buffer[..received]);
        return received;
    }

    /// <summary>Sends all of <paramref name="buffer"/>, waiting for room when the socket is non-blocking and full.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Keep(_firstSent, ref _sentKept, buffer);
        while (!buffer.IsEmpty)
        {
            int n = socket.Send(buffer, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                socket.Poll(-1, SelectMode.SelectWrite);
                continue;
            }

            if (error != SocketError.Success)
                throw new IOException(ReadyReceive.Describe(error), new SocketException((int)error));
            buffer = buffer[n..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_feeding)
            return WriteDirectAsync(buffer, cancellationToken);
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async ValueTask<int> ReceiveDirectAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int received = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        Keep(_firstReceived, ref _receivedKept, buffer.Span[..received]);
        return received;
    }

    private async ValueTask WriteDirectAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        Keep(_firstSent, ref _sentKept, buffer.Span);
        while (!buffer.IsEmpty)
        {
            int n = await socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        if (_pendingStart == _pendingEnd)
            _pendingStart = _pendingEnd = 0;
        if (_pending.Length - _pendingEnd < data.Length)
        {
            int held = _pendingEnd - _pendingStart;
            var grown = held + data.Length <= _pending.Length ? _pending : new byte[Math.Max(_pending.Length * 2, held + data.Length)];
            _pending.AsSpan(_pendingStart, held).CopyTo(grown);
            _pending = grown;
            _pendingStart = 0;
            _pendingEnd = held;
        }

        data.CopyTo(_pending.AsSpan(_pendingEnd));
        _pendingEnd += data.Length;
    }

    private static void Keep(byte[] kept, ref int count, ReadOnlySpan<byte> data)
    {
        int n = Math.Min(kept.Length - count, data.Length);
        if (n <= 0)
            return;
        data[..n].CopyTo(kept.AsSpan(count));
        count += n;
    }
}
