using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Switchboard.Hosting;

/// <summary>
/// Reads <see cref="Frames"/> from one end of a control channel through a buffer of its own, so
/// that one receive takes in every frame that has arrived (a fan-out sends a worker many small
/// frames at once) instead of two receives per frame. One reader per socket, used by one thread
/// at a time.
/// </summary>
/// <remarks>
/// Invariant: the unread bytes are <c>_buffer[_start.._end]</c>; a frame handed out stays valid
/// until the next read. The buffer grows to hold a frame larger than it, and shrinks back once
/// that frame is read and nothing more is buffered.
/// </remarks>
internal sealed class FrameReader(Socket socket, int bufferSize = FrameReader.DefaultBufferSize)
{
    /// <summary>The buffer a reader starts with, and goes back to once a larger frame has been read.</summary>
    public const int DefaultBufferSize = 64 * 1024;

    private const int HeaderSize = 4;

    private byte[] _buffer = new byte[bufferSize];
    private int _start;
    private int _end;

    /// <summary>The next frame (kind byte first) on a blocking socket; empty at end of stream.</summary>
    /// <exception cref="InvalidDataException">The length announced is not a frame's.</exception>
    /// <exception cref="SocketException">The channel failed.</exception>
    public ReadOnlyMemory<byte> Read()
    {
        while (true)
        {
            if (TryTake(out var frame))
                return frame;
            int n = socket.Receive(MakeRoom().Span);
            if (n == 0)
                return ReadOnlyMemory<byte>.Empty;
            _end += n;
        }
    }

    /// <summary>The next frame (kind byte first), asynchronously; empty at end of stream.</summary>
    /// <exception cref="InvalidDataException">The length announced is not a frame's.</exception>
    /// <exception cref="SocketException">The channel failed.</exception>
    public async ValueTask<ReadOnlyMemory<byte>> ReadAsync()
    {
        while (true)
        {
            if (TryTake(out var frame))
                return frame;
            int n = await socket.ReceiveAsync(MakeRoom(), SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
                return ReadOnlyMemory<byte>.Empty;
            _end += n;
        }
    }

    /// <summary>A whole frame from what is buffered, if there is one.</summary>
    private bool TryTake(out ReadOnlyMemory<byte> frame)
    {
        int buffered = _end - _start;
        if (buffered >= HeaderSize)
        {
            int length = Frames.CheckedLength(_buffer.AsSpan(_start, HeaderSize));
            if (buffered - HeaderSize >= length)
            {
                frame = _buffer.AsMemory(_start + HeaderSize, length);
                _start += HeaderSize + length;
                return true;
            }
        }

        frame = default;
        return false;
    }

    /// <summary>
    /// The free space after what is buffered, once the unread bytes are moved to the front and the
    /// buffer is grown if the frame under way would not fit (frames are bounded by <see cref="Frames"/>).
    /// </summary>
    private Memory<byte> MakeRoom()
    {
        int buffered = _end - _start;
        int needed = buffered >= HeaderSize ? HeaderSize + Frames.CheckedLength(_buffer.AsSpan(_start, HeaderSize)) : HeaderSize;
        if (needed > _buffer.Length)
        {
            var larger = new byte[needed];
            _buffer.AsSpan(_start, buffered).CopyTo(larger);
            _buffer = larger;
            (_start, _end) = (0, buffered);
        }
        else if (_start > 0 && (_end == _buffer.Length || _start + needed > _buffer.Length))
        {
            _buffer.AsSpan(_start, buffered).CopyTo(_buffer);
            (_start, _end) = (0, buffered);
        }
        else if (buffered == 0)
        {
            if (_buffer.Length > bufferSize)
                _buffer = new byte[bufferSize]; // a large frame came and went: its buffer need not be kept
            (_start, _end) = (0, 0);
        }

        Debug.Assert(_end < _buffer.Length, "a receive always has room");
        return _buffer.AsMemory(_end);
    }
}
