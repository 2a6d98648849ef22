using System.Buffers;

namespace Switchboard.Engines;

/// <summary>
/// A connection's queued, unsent output: a chain of pooled segments. Not thread-safe; the owning
/// connection guards it with its output lock. Invariant: a region returned by <see cref="Peek"/>
/// is never written to again, so a drainer may send it outside the lock while others append.
/// </summary>
internal sealed class OutboundBuffer
{
    internal const int SegmentSize = 16 * 1024;

    private readonly Queue<Segment> _segments = new();
    private Segment? _tail;

    // One drained segment object kept for reuse (its array goes back to the pool), so that a
    // connection whose output drains after every message allocates nothing per message.
    private Segment? _spare;

    /// <summary>Bytes queued and not yet consumed.</summary>
    public long Length { get; private set; }

    public bool IsEmpty => Length == 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_tail is null || _tail.End == _tail.Array.Length)
            {
                _tail = _spare ?? new Segment();
                _spare = null;
                _tail.Array = ArrayPool<byte>.Shared.Rent(SegmentSize);
                _segments.Enqueue(_tail);
            }

            int n = Math.Min(data.Length, _tail.Array.Length - _tail.End);
            data[..n].CopyTo(_tail.Array.AsSpan(_tail.End));
            _tail.End += n;
            Length += n;
            data = data[n..];
        }
    }

    /// <summary>The oldest contiguous run of unsent bytes (empty if none).</summary>
    public ReadOnlyMemory<byte> Peek()
    {
        if (!_segments.TryPeek(out var head))
            return ReadOnlyMemory<byte>.Empty;
        return head.Array.AsMemory(head.Start, head.End - head.Start);
    }

    /// <summary>Marks <paramref name="count"/> bytes from the front as sent.</summary>
    public void Consume(int count)
    {
        while (count > 0)
        {
            var head = _segments.Peek();
            int n = Math.Min(count, head.End - head.Start);
            head.Start += n;
            Length -= n;
            count -= n;
            if (head.Start == head.End)
                ReleaseHead(head);
        }
    }

    /// <summary>Discards everything and returns the segments to the pool.</summary>
    public void Clear()
    {
        while (_segments.TryPeek(out var head))
            ReleaseHead(head);
        Length = 0;
    }

    private void ReleaseHead(Segment head)
    {
        _segments.Dequeue();
        if (ReferenceEquals(head, _tail))
            _tail = null;
        ArrayPool<byte>.Shared.Return(head.Array);
        head.Array = [];
        head.Start = head.End = 0;
        _spare = head;
    }

    private sealed class Segment
    {
        public byte[] Array { get; set; } = [];

        public int Start { get; set; }

        public int End { get; set; }
    }
}
