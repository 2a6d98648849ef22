using System.Runtime.InteropServices;

namespace Switchboard.Interop;

/// <summary>
/// One layout of <c>struct epoll_event</c>: an event mask and a 64-bit data word. The kernel's
/// layout depends on the architecture (<see cref="PackedEpollEvent"/>, <see cref="AlignedEpollEvent"/>),
/// so the code that fills and reads them is generic over this.
/// </summary>
/// <typeparam name="TSelf">The layout itself.</typeparam>
internal interface IEpollEvent<TSelf>
    where TSelf : unmanaged, IEpollEvent<TSelf>
{
    /// <summary>EPOLLIN, EPOLLOUT, ... asked for or reported.</summary>
    uint Events { get; }

    /// <summary>The caller's word, given back with each report.</summary>
    ulong Data { get; }

    /// <summary>An event with <paramref name="events"/> and <paramref name="data"/>.</summary>
    static abstract TSelf Of(uint events, ulong data);
}

/// <summary>
/// <c>struct epoll_event</c> on x86-64, where the kernel declares it packed: 12 bytes, the data at
/// offset 4 (Pack = 4 reproduces that).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct PackedEpollEvent : IEpollEvent<PackedEpollEvent>
{
    /// <summary>The event mask.</summary>
    public uint Events;

    /// <summary>The data word.</summary>
    public ulong Data;

    readonly uint IEpollEvent<PackedEpollEvent>.Events => Events;

    readonly ulong IEpollEvent<PackedEpollEvent>.Data => Data;

    public static PackedEpollEvent Of(uint events, ulong data) => new() { Events = events, Data = data };
}

/// <summary>
/// <c>struct epoll_event</c> on every architecture but x86-64 (arm64 among them), where it is not
/// packed: the data is 8-aligned, at offset 8, and the struct is 16 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AlignedEpollEvent : IEpollEvent<AlignedEpollEvent>
{
    /// <summary>The event mask.</summary>
    public uint Events;

    /// <summary>The data word.</summary>
    public ulong Data;

    readonly uint IEpollEvent<AlignedEpollEvent>.Events => Events;

    readonly ulong IEpollEvent<AlignedEpollEvent>.Data => Data;

    public static AlignedEpollEvent Of(uint events, ulong data) => new() { Events = events, Data = data };
}
