using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Switchboard.Interop;

namespace Switchboard.Tests.Engines;

/// <summary>
/// <c>struct epoll_event</c> as the kernel lays it out: packed on x86-64 (12 bytes, the data at
/// offset 4), naturally aligned everywhere else (16 bytes, the data at offset 8).
/// </summary>
public sealed class EpollEventLayoutTests
{
    [Fact]
    public void This_machine_gets_the_kernels_layout()
    {
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        var (size, dataOffset) = Interop.Interop.Epoll.IsPacked
            ? Layout<PackedEpollEvent>()
            : Layout<AlignedEpollEvent>();

        Assert.Equal(x64 ? 12 : 16, size);
        Assert.Equal(x64 ? 4 : 8, dataOffset);
    }

    [Fact]
    public void The_packed_layout_is_12_bytes_with_the_data_at_4()
    {
        Assert.Equal((12, 4), Layout<PackedEpollEvent>());
        Assert.Equal(12, Marshal.SizeOf<PackedEpollEvent>());
        Assert.Equal(4, (int)Marshal.OffsetOf<PackedEpollEvent>(nameof(PackedEpollEvent.Data)));
    }

    [Fact]
    public void The_aligned_layout_is_16_bytes_with_the_data_at_8()
    {
        Assert.Equal((16, 8), Layout<AlignedEpollEvent>());
        Assert.Equal(16, Marshal.SizeOf<AlignedEpollEvent>());
        Assert.Equal(8, (int)Marshal.OffsetOf<AlignedEpollEvent>(nameof(AlignedEpollEvent.Data)));
    }

    /// <summary>
    /// The size in memory (what an array of them strides by, as epoll_wait fills it) and where the
    /// data word lies in the bytes, found by writing an event and reading its bytes back.
    /// </summary>
    private static (int Size, int DataOffset) Layout<TEvent>()
        where TEvent : unmanaged, IEpollEvent<TEvent>
    {
        const ulong Data = 0x0102_0304_0506_0708;
        var ev = TEvent.Of(0xAABB_CCDD, Data);
        var bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref ev, 1));
        Assert.Equal(0xAABB_CCDDu, MemoryMarshal.Read<uint>(bytes));
        for (int offset = sizeof(uint); offset + sizeof(ulong) <= bytes.Length; offset++)
        {
            if (MemoryMarshal.Read<ulong>(bytes[offset..]) == Data)
                return (Unsafe.SizeOf<TEvent>(), offset);
        }

        Assert.Fail("the data word is nowhere in the event's bytes");
        return default;
    }
}
