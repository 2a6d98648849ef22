namespace Switchboard.Engines;

/// <summary>
/// A connection's queued, unsent output: a chain of pooled segments. Not thread-safe; the owning
/// connection guards it with its state lock (<c>ConnectionBase.Output.cs</c>), and no one else
/// sees it. Invariant: a region returned by <see cref="Peek"/> is never written to again, so a
/// writer may send it outside the lock while others append.
/// </summary>
internal sealed class OutboundBuffer(OutputBudget? budget = null)
{
    internal const int SegmentSize = 16 * 1024;

    // The first segment of an empty buffer is only as large as what is appended (rounded up to a
    // pool size, at least this): a connection with one short reply or chat line pending holds a
    // small array, not 16 KiB, until the write completes. Later segments are full size.
    internal const int SmallestSegmentSize = 512;

    // The server-wide total this buffer counts in (null: none, or no longer: see StopCounting).
    private OutputBudget? _budget = budget;

    // A singly linked chain, oldest first: no queue object or array per connection.
    private Segment? _head;
    private Segment? _tail;

    // One drained segment object kept for reuse (its array goes back to the pool), so that a
    // connection whose output drains after every message allocates nothing per message.
    private Segment? _spare;

    /// <summary>Bytes queued and not yet consumed.</summary>
    public long Length { get; private set; }

    public bool IsEmpty => Length == 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        _budget?.Add(data.Length);
        while (!data.IsEmpty)
        {
            if (_tail is null || _tail.End == _tail.Array.Length)
            {
                var segment = _spare ?? new Segment();
                _spare = null;
                segment.Array = SegmentPool.Rent(_tail is null ? Math.Clamp(data.Length, SmallestSegmentSize, SegmentSize) : SegmentSize);
                if (_tail is null)
                    _head = segment;
                else
                    _tail.Next = segment;
                _tail = segment;
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
        var head = _head;
        if (head is null)
            return ReadOnlyMemory<byte>.Empty;
        return head.Array.AsMemory(head.Start, head.End - head.Start);
    }

    /// <summary>
    /// The oldest unsent runs, one per segment, as many as fit in <paramref name="into"/> (for a
    /// gathering write); returns how many. The same invariant holds for each as for <see cref="Peek()"/>.
    /// </summary>
    public int PeekRuns(Span<ReadOnlyMemory<byte>> into)
    {
        int n = 0;
        for (var segment = _head; segment is not null && n < into.Length; segment = segment.Next)
        {
            if (segment.End > segment.Start)
                into[n++] = segment.Array.AsMemory(segment.Start, segment.End - segment.Start);
        }

        return n;
    }

    /// <summary>Marks <paramref name="count"/> bytes from the front as sent.</summary>
    public void Consume(int count)
    {
        _budget?.Add(-count);
        while (count > 0)
        {
            var head = _head!;
            int n = Math.Min(count, head.End - head.Start);
            head.Start += n;
            Length -= n;
            count -= n;
            if (head.Start == head.End)
                ReleaseHead(head);
        }
    }

    /// <summary>Discards everything and returns the segments to the pool.</summary>
    /// <returns>The bytes discarded that counted in the server-wide total.</returns>
    public long Clear()
    {
        long uncounted = _budget is null ? 0 : Length;
        _budget?.Add(-Length);
        while (_head is { } head)
            ReleaseHead(head);
        Length = 0;
        return uncounted;
    }

    /// <summary>
    /// Takes what is queued out of the server-wide total, for good: the connection is closed, and
    /// its segments are freed as soon as no writer holds one (<c>Clear</c>).
    /// </summary>
    /// <returns>The bytes it took out.</returns>
    public long StopCounting()
    {
        if (_budget is null)
            return 0;
        _budget.Add(-Length);
        _budget = null;
        return Length;
    }

    private void ReleaseHead(Segment head)
    {
        _head = head.Next;
        head.Next = null;
        if (ReferenceEquals(head, _tail))
            _tail = null;
        SegmentPool.Return(head.Array);
        head.Array = [];
        head.Start = head.End = 0;
        _spare = head;
    }

    private sealed class Segment
    {
        public byte[] Array { get; set; } = [];

        public int Start { get; set; }

        public int End { get; set; }

        public Segment? Next { get; set; }
    }
}
