using System.ComponentModel;
using System.Runtime.InteropServices;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Interop;

/// <summary>
/// One io_uring: the submission and completion rings and the submission entries, mapped into
/// this process (one mapping for both rings: IORING_FEAT_SINGLE_MMAP). Not thread-safe: one
/// thread fills entries, submits and reaps. The shared heads and tails are read with acquire and
/// written with release semantics (<see cref="Volatile"/>), as the kernel's side pairs them.
/// </summary>
internal sealed unsafe class UringRing : IDisposable
{
    private readonly SafeUringHandle _handle;
    private readonly nint _rings;
    private readonly nuint _ringsSize;
    private readonly nint _sqeMap;
    private readonly nuint _sqeMapSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly Sqe* _sqes;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly Cqe* _cqes;
    private uint _sqLocalTail;

    private UringRing(SafeUringHandle handle, in Params p, nint rings, nuint ringsSize, nint sqeMap, nuint sqeMapSize)
    {
        _handle = handle;
        _rings = rings;
        _ringsSize = ringsSize;
        _sqeMap = sqeMap;
        _sqeMapSize = sqeMapSize;
        byte* r = (byte*)rings;
        _sqHead = (uint*)(r + p.SqOff.Head);
        _sqTail = (uint*)(r + p.SqOff.Tail);
        _sqMask = *(uint*)(r + p.SqOff.RingMask);
        _sqEntries = *(uint*)(r + p.SqOff.RingEntries);
        _cqHead = (uint*)(r + p.CqOff.Head);
        _cqTail = (uint*)(r + p.CqOff.Tail);
        _cqMask = *(uint*)(r + p.CqOff.RingMask);
        _cqes = (Cqe*)(r + p.CqOff.Cqes);
        _sqes = (Sqe*)sqeMap;
        Features = p.Features;
        CompletionEntries = p.CqEntries;

        // Submission entries are used in ring order: the index array maps each slot to itself.
        uint* array = (uint*)(r + p.SqOff.Array);
        for (uint i = 0; i < _sqEntries; i++)
            array[i] = i;
        _sqLocalTail = *_sqTail;
    }

    /// <summary>The ring's descriptor, for io_uring_register(2) and for tests.</summary>
    public SafeUringHandle Handle => _handle;

    /// <summary>IORING_FEAT_* flags the kernel reported at setup.</summary>
    public uint Features { get; }

    /// <summary>Submission entries (a power of two).</summary>
    public uint SubmissionEntries => _sqEntries;

    /// <summary>Completion entries.</summary>
    public uint CompletionEntries { get; }

    /// <summary>Entries filled but not yet taken by the kernel.</summary>
    public uint Unsubmitted => _sqLocalTail - Volatile.Read(ref *_sqHead);

    /// <summary>
    /// Sets up a ring of <paramref name="entries"/> submission and <paramref name="completionEntries"/>
    /// completion entries with <paramref name="flags"/> (besides IORING_SETUP_CQSIZE), and maps it.
    /// </summary>
    /// <exception cref="Win32Exception">A call failed; <see cref="Win32Exception.NativeErrorCode"/> is its errno.</exception>
    public static UringRing Create(uint entries, uint completionEntries, uint flags)
    {
        Params p = default;
        p.Flags = flags | IORING_SETUP_CQSIZE;
        p.CqEntries = completionEntries;
        int fd = Setup(entries, &p);
        if (fd < 0)
            throw Interop.LastError("io_uring_setup");
        var handle = new SafeUringHandle(fd);
        if ((p.Features & IORING_FEAT_SINGLE_MMAP) == 0)
        {
            handle.Dispose();
            throw new Win32Exception(EINVAL, "io_uring_setup: the kernel maps the rings apart (no IORING_FEAT_SINGLE_MMAP, before Linux 5.4)");
        }

        nuint sqSize = p.SqOff.Array + (p.SqEntries * sizeof(uint));
        nuint cqSize = p.CqOff.Cqes + (p.CqEntries * (nuint)sizeof(Cqe));
        nuint ringsSize = Math.Max(sqSize, cqSize);
        nint rings = Mmap(0, ringsSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
        if (rings == -1)
        {
            var error = Interop.LastError("mmap(io_uring rings)");
            handle.Dispose();
            throw error;
        }

        nuint sqeSize = p.SqEntries * (nuint)sizeof(Sqe);
        nint sqes = Mmap(0, sqeSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
        if (sqes == -1)
        {
            var error = Interop.LastError("mmap(io_uring entries)");
            Munmap(rings, ringsSize);
            handle.Dispose();
            throw error;
        }

        return new UringRing(handle, p, rings, ringsSize, sqes, sqeSize);
    }

    /// <summary>
    /// The next submission entry, zeroed, to fill before the next submit. When the ring is full,
    /// submits what it holds first.
    /// </summary>
    /// <exception cref="Win32Exception">The ring stayed full: the kernel took nothing.</exception>
    public ref Sqe NextSqe()
    {
        if (_sqLocalTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            int error = SubmitAndWait(0, -1);
            if (_sqLocalTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
                throw new Win32Exception(error == 0 ? EBUSY : error, "io_uring submission queue full");
        }

        Sqe* sqe = &_sqes[_sqLocalTail & _sqMask];
        *sqe = default;
        _sqLocalTail++;
        return ref *sqe;
    }

    /// <summary>
    /// One io_uring_enter(2): submits every entry filled so far and, if <paramref name="minComplete"/>
    /// is not 0, waits until that many completions are there or <paramref name="timeoutNanoseconds"/>
    /// have passed (negative: no limit). Returns 0, or the errno of a failure other than a timeout
    /// or an interruption (EBUSY/EAGAIN: reap completions and call again).
    /// </summary>
    public int SubmitAndWait(uint minComplete, long timeoutNanoseconds)
    {
        Volatile.Write(ref *_sqTail, _sqLocalTail);
        uint toSubmit = _sqLocalTail - Volatile.Read(ref *_sqHead);
        // GETEVENTS also when not waiting (the kernel returns at once with min_complete 0): only an
        // enter with it moves completions that overflowed the completion ring back into it.
        uint flags = IORING_ENTER_GETEVENTS;
        int result;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)_handle.DangerousGetHandle();
            if (minComplete > 0 && timeoutNanoseconds >= 0)
            {
                KernelTimespec ts = new() { Seconds = timeoutNanoseconds / 1_000_000_000, Nanoseconds = timeoutNanoseconds % 1_000_000_000 };
                GeteventsArg arg = new() { Ts = (ulong)&ts };
                result = Enter(fd, toSubmit, minComplete, flags | IORING_ENTER_EXT_ARG, &arg, (nuint)sizeof(GeteventsArg));
            }
            else
            {
                result = Enter(fd, toSubmit, minComplete, flags, null, 0);
            }
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }

        if (result >= 0)
            return 0;
        int errno = Marshal.GetLastPInvokeError();
        return errno is ETIME or Interop.Errno.EINTR ? 0 : errno;
    }

    /// <summary>Copies up to <paramref name="into"/>'s length of completions out of the ring and frees their entries; returns how many.</summary>
    public int TakeCompletions(Span<Cqe> into)
    {
        uint head = *_cqHead; // only this thread writes it
        uint tail = Volatile.Read(ref *_cqTail);
        int n = (int)Math.Min(tail - head, (uint)into.Length);
        for (int i = 0; i < n; i++)
            into[i] = _cqes[(head + (uint)i) & _cqMask];
        if (n > 0)
            Volatile.Write(ref *_cqHead, head + (uint)n);
        return n;
    }

    /// <summary>io_uring_register(2) on this ring: 0 or the errno.</summary>
    public int Register(uint opcode, void* arg, uint count)
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            return Interop.Uring.Register((int)_handle.DangerousGetHandle(), opcode, arg, count) >= 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>Whether the kernel supports <paramref name="opcode"/> (IORING_REGISTER_PROBE).</summary>
    public bool Supports(byte opcode)
    {
        const int MaxOps = 256;
        int size = sizeof(ProbeHeader) + (MaxOps * sizeof(ProbeOp));
        byte* buffer = stackalloc byte[size];
        new Span<byte>(buffer, size).Clear();
        if (Register(IORING_REGISTER_PROBE, buffer, MaxOps) != 0)
            return false;
        var header = (ProbeHeader*)buffer;
        if (opcode > header->LastOp || opcode >= header->OpsLen)
            return false;
        var op = (ProbeOp*)(buffer + sizeof(ProbeHeader)) + opcode;
        return (op->Flags & IO_URING_OP_SUPPORTED) != 0;
    }

    /// <summary>Unmaps the rings and closes the descriptor, which cancels whatever is still in flight.</summary>
    public void Dispose()
    {
        if (_handle.IsClosed)
            return;
        Munmap(_sqeMap, _sqeMapSize);
        Munmap(_rings, _ringsSize);
        _handle.Dispose();
    }
}
