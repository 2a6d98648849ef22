using System.Buffers;
using System.Collections.Concurrent;

namespace Switchboard.Engines;

/// <summary>
/// Where output segments come from and go back to (<see cref="OutboundBuffer"/>). Segments of
/// <see cref="OutboundBuffer.SmallestSegmentSize"/> bytes, a short line's, are kept here, many
/// more of them than the shared array pool keeps (a few dozen per size): a line to every member
/// of a room takes one per member in the same turn, and a tick of the time app one per
/// connection whose tick falls in the turn, before any goes back. With the shared pool, every
/// segment past its few dozen was a fresh array left to the collector, about 470 bytes per
/// delivery (<c>AllocationTests</c>). They wait in one reserve of at most
/// <see cref="ReserveCapacity"/>, kept once filled (<see cref="ReserveCapacity"/> × 512 B = 4 MiB
/// at most). No thread keeps one of its own: on <c>async</c> a segment is rented on the thread
/// that sends and given back on the one that wrote it, and an array left with a thread that
/// rents no more (the thread pool's come and go) was one more to allocate. Larger segments come
/// from the shared pool. Thread-safe.
/// </summary>
internal static class SegmentPool
{
    /// <summary>The most small segments the reserve keeps: a line to a room of this many in one turn allocates nothing.</summary>
    internal const int ReserveCapacity = 8192;

    private const int SmallSize = OutboundBuffer.SmallestSegmentSize;

    private static readonly ConcurrentQueue<byte[]> Reserve = new();
    private static int _reserved; // arrays in the reserve, kept with it (ConcurrentQueue's Count is not cheap)

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes (exactly 512 for 512 or less), its caller's until <see cref="Return"/>.</summary>
    public static byte[] Rent(int minimumLength)
    {
        if (minimumLength > SmallSize)
            return ArrayPool<byte>.Shared.Rent(minimumLength);
        if (Reserve.TryDequeue(out var array))
        {
            Interlocked.Decrement(ref _reserved);
            return array;
        }

        return GC.AllocateUninitializedArray<byte>(SmallSize);
    }

    /// <summary>Gives back an array from <see cref="Rent"/>; the caller no longer touches it.</summary>
    public static void Return(byte[] array)
    {
        if (array.Length != SmallSize)
        {
            ArrayPool<byte>.Shared.Return(array);
            return;
        }

        if (Interlocked.Increment(ref _reserved) <= ReserveCapacity)
        {
            Reserve.Enqueue(array);
            return;
        }

        Interlocked.Decrement(ref _reserved); // full: left to the collector
    }
}
