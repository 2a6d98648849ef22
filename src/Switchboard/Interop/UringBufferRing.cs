using System.ComponentModel;
using System.Runtime.InteropServices;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Interop;

/// <summary>
/// A provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19): buffers the kernel picks from
/// when a receive completes, so that a socket waiting for data holds none. The ring and the
/// buffers are native memory, page-aligned, freed once unregistered. Not thread-safe: the ring's
/// thread returns buffers.
/// </summary>
/// <remarks>
/// Registered <see cref="Incremental"/> (IOU_PBUF_RING_INC, Linux 6.12), a buffer is consumed a
/// completion at a time: each receive takes the next bytes of the buffer at the head of the ring,
/// whichever socket it is for, and the kernel flags every completion but the buffer's last with
/// IORING_CQE_F_BUF_MORE. So a large buffer serves many small receives, where otherwise each takes
/// a whole buffer however little it holds. Every completion that names a buffer must go through
/// <see cref="Take"/> then <see cref="Finish"/>, in completion order: the ring keeps each buffer's
/// read offset, and gives a buffer back only after its last completion.
/// </remarks>
internal sealed unsafe class UringBufferRing : IDisposable
{
    private readonly UringRing _ring;
    private readonly Buf* _entries;
    private readonly byte* _memory;
    private readonly ushort _mask;
    private readonly int[] _offsets; // incremental: where each buffer's next completion's bytes start
    private ushort _tail;
    private bool _disposed;

    /// <summary>Registers <paramref name="count"/> (a power of two up to 32,768) buffers of <paramref name="bufferSize"/> bytes as group <paramref name="groupId"/>.</summary>
    /// <param name="ring">The io_uring.</param>
    /// <param name="groupId">The buffer group receives name.</param>
    /// <param name="count">How many buffers.</param>
    /// <param name="bufferSize">Bytes in each.</param>
    /// <param name="incremental">Consumed a completion at a time (IOU_PBUF_RING_INC, Linux 6.12).</param>
    /// <exception cref="Win32Exception">The kernel refused the ring (EINVAL before Linux 5.19, or before 6.12 when incremental).</exception>
    public UringBufferRing(UringRing ring, ushort groupId, int count, int bufferSize, bool incremental = false)
    {
        if (count is < 1 or > 32768 || (count & (count - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, "a power of two up to 32768");
        _ring = ring;
        GroupId = groupId;
        Count = count;
        BufferSize = bufferSize;
        Incremental = incremental;
        _offsets = new int[count];
        _mask = (ushort)(count - 1);
        nuint page = (nuint)Environment.SystemPageSize;
        nuint ringBytes = (nuint)(count * sizeof(Buf));
        _entries = (Buf*)NativeMemory.AlignedAlloc(ringBytes, page);
        NativeMemory.Clear(_entries, ringBytes);
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)count * (nuint)bufferSize, page);

        BufReg reg = new() { RingAddr = (ulong)_entries, RingEntries = (uint)count, Bgid = groupId, Flags = incremental ? IOU_PBUF_RING_INC : (ushort)0 };
        int error = ring.Register(IORING_REGISTER_PBUF_RING, &reg, 1);
        if (error != 0)
        {
            NativeMemory.AlignedFree(_entries);
            NativeMemory.AlignedFree(_memory);
            _disposed = true;
            throw new Win32Exception(error, $"io_uring_register(IORING_REGISTER_PBUF_RING) failed: {Marshal.GetPInvokeErrorMessage(error)}");
        }

        for (int i = 0; i < count; i++)
            Put((ushort)i);
        Publish();
    }

    public ushort GroupId { get; }

    public int Count { get; }

    public int BufferSize { get; }

    /// <summary>Whether buffers are consumed a completion at a time (IOU_PBUF_RING_INC).</summary>
    public bool Incremental { get; }

    /// <summary>
    /// The bytes a receive completion with <paramref name="cqeFlags"/> (IORING_CQE_F_BUFFER set)
    /// delivered, <paramref name="length"/> of them (0 for none): the start of its buffer, or, when
    /// incremental, where the buffer's previous completion ended. Valid until <see cref="Finish"/>.
    /// </summary>
    public ReadOnlySpan<byte> Take(uint cqeFlags, int length)
    {
        ushort id = (ushort)(cqeFlags >> IORING_CQE_BUFFER_SHIFT);
        int start = _offsets[id];
        length = Math.Clamp(length, 0, BufferSize - start);
        if (Incremental)
            _offsets[id] = start + length;
        return new(_memory + ((nuint)id * (nuint)BufferSize) + (nuint)start, length);
    }

    /// <summary>
    /// Done with the <paramref name="length"/> bytes of the completion with <paramref name="cqeFlags"/>:
    /// its buffer goes back to the kernel, unless the kernel goes on filling it
    /// (IORING_CQE_F_BUF_MORE). When incremental, a completion with no bytes leaves the buffer
    /// where it is, at the ring's head: the kernel has not moved past it (some kernels flag such a
    /// completion as the buffer's last all the same; giving it back would put it in the ring twice).
    /// </summary>
    public void Finish(uint cqeFlags, int length)
    {
        if (Incremental && ((cqeFlags & IORING_CQE_F_BUF_MORE) != 0 || length <= 0))
            return;
        ushort id = (ushort)(cqeFlags >> IORING_CQE_BUFFER_SHIFT);
        _offsets[id] = 0;
        Put(id);
        Publish();
    }

    private void Put(ushort id)
    {
        Buf* entry = &_entries[_tail & _mask];
        entry->Addr = (ulong)(_memory + ((nuint)id * (nuint)BufferSize));
        entry->Len = (uint)BufferSize;
        entry->Bid = id;
        _tail++;
    }

    // The tail is the first entry's last 16 bits; written with release semantics after the entries.
    private void Publish() => Volatile.Write(ref *(ushort*)((byte*)_entries + 14), _tail);

    /// <summary>Unregisters the ring (if the io_uring is still open) and frees its memory. Call once nothing is in flight.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_ring.Handle.IsClosed)
        {
            BufReg reg = new() { Bgid = GroupId };
            _ring.Register(IORING_UNREGISTER_PBUF_RING, &reg, 1);
        }

        NativeMemory.AlignedFree(_entries);
        NativeMemory.AlignedFree(_memory);
    }
}
