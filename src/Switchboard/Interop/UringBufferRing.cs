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
internal sealed unsafe class UringBufferRing : IDisposable
{
    private readonly UringRing _ring;
    private readonly Buf* _entries;
    private readonly byte* _memory;
    private readonly ushort _mask;
    private ushort _tail;
    private bool _disposed;

    /// <summary>Registers <paramref name="count"/> (a power of two up to 32,768) buffers of <paramref name="bufferSize"/> bytes as group <paramref name="groupId"/>.</summary>
    /// <exception cref="Win32Exception">The kernel refused the ring (EINVAL before Linux 5.19).</exception>
    public UringBufferRing(UringRing ring, ushort groupId, int count, int bufferSize)
    {
        if (count is < 1 or > 32768 || (count & (count - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, "a power of two up to 32768");
        _ring = ring;
        GroupId = groupId;
        Count = count;
        BufferSize = bufferSize;
        _mask = (ushort)(count - 1);
        nuint page = (nuint)Environment.SystemPageSize;
        nuint ringBytes = (nuint)(count * sizeof(Buf));
        _entries = (Buf*)NativeMemory.AlignedAlloc(ringBytes, page);
        NativeMemory.Clear(_entries, ringBytes);
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)count * (nuint)bufferSize, page);

        BufReg reg = new() { RingAddr = (ulong)_entries, RingEntries = (uint)count, Bgid = groupId };
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

    /// <summary>The first <paramref name="length"/> bytes of buffer <paramref name="id"/>, as a completion reported them.</summary>
    public ReadOnlySpan<byte> Get(ushort id, int length) => new(_memory + ((nuint)id * (nuint)BufferSize), Math.Min(length, BufferSize));

    /// <summary>Gives buffer <paramref name="id"/> back to the kernel.</summary>
    public void Return(ushort id)
    {
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
