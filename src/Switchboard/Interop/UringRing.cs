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
    private bool _waitingToBeOwned; // set up disabled, for the thread that will own it to enable (IORING_SETUP_R_DISABLED)
    private int _registeredIndex = -1; // the ring's descriptor registered to its owner thread (IORING_REGISTER_RING_FDS), or -1

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

    /// <summary>
    /// Whether the kernel runs this ring's completion work only when its one thread asks for
    /// completions (IORING_SETUP_DEFER_TASKRUN with SINGLE_ISSUER, Linux 6.1): see <see cref="CreateForOneThread"/>.
    /// </summary>
    public bool DefersTaskRun { get; private set; }

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
    /// Sets up a ring that one thread alone will submit to and reap, as <see cref="Create"/> does
    /// with <paramref name="flags"/>, and, where the kernel has them (Linux 6.1), SINGLE_ISSUER
    /// and DEFER_TASKRUN: the kernel then does a completion's work (a receive's copy, say) when
    /// that thread enters to wait, in one batch, instead of interrupting it whenever a packet
    /// lands. The ring starts disabled; that thread must call <see cref="BindToCurrentThread"/>
    /// before anything else, and only it may call into the ring after.
    /// </summary>
    public static UringRing CreateForOneThread(uint entries, uint completionEntries, uint flags)
    {
        try
        {
            var ring = Create(entries, completionEntries, flags | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED);
            ring._waitingToBeOwned = true;
            ring.DefersTaskRun = true;
            return ring;
        }
        catch (Win32Exception e) when (e.NativeErrorCode == EINVAL)
        {
            return Create(entries, completionEntries, flags); // Linux 6.0: completion work as it comes
        }
    }

    /// <summary>
    /// Makes the calling thread the ring's one submitter: enables a ring from
    /// <see cref="CreateForOneThread"/>, and registers its descriptor with this thread
    /// (IORING_REGISTER_RING_FDS), which spares each io_uring_enter(2) looking the descriptor up.
    /// Call once, on the thread that will submit and reap; <see cref="ReleaseFromCurrentThread"/>
    /// on the same thread when done.
    /// </summary>
    /// <exception cref="Win32Exception">The kernel would not enable the ring.</exception>
    public void BindToCurrentThread()
    {
        if (_waitingToBeOwned)
        {
            int error = Register(IORING_REGISTER_ENABLE_RINGS, null, 0);
            if (error != 0)
                throw new Win32Exception(error, $"io_uring_register(IORING_REGISTER_ENABLE_RINGS) failed: {Marshal.GetPInvokeErrorMessage(error)}");
            _waitingToBeOwned = false;
        }

        RsrcUpdate update = new() { Offset = uint.MaxValue, Data = (ulong)_handle.DangerousGetHandle() };
        if (Register(IORING_REGISTER_RING_FDS, &update, 1) == 0)
            _registeredIndex = (int)update.Offset;
        // else: enters name the descriptor, as before Linux 5.18
    }

    /// <summary>Undoes <see cref="BindToCurrentThread"/>'s registration of the descriptor, so that the thread holds no reference to the ring. Same thread.</summary>
    public void ReleaseFromCurrentThread()
    {
        if (_registeredIndex < 0)
            return;
        RsrcUpdate update = new() { Offset = (uint)_registeredIndex };
        _registeredIndex = -1;
        _ = Register(IORING_UNREGISTER_RING_FDS, &update, 1);
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
        // enter with it moves completions that overflowed the completion ring back into it, and,
        // on a ring that defers task work, does the work that makes completions at all.
        uint flags = IORING_ENTER_GETEVENTS;
        int result;
        if (_registeredIndex >= 0)
        {
            // The registration holds the ring open: no reference to take on the handle.
            result = Enter(_registeredIndex, toSubmit, minComplete, flags | IORING_ENTER_REGISTERED_RING, timeoutNanoseconds);
        }
        else
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                result = Enter((int)_handle.DangerousGetHandle(), toSubmit, minComplete, flags, timeoutNanoseconds);
            }
            finally
            {
                if (added)
                    _handle.DangerousRelease();
            }
        }

        if (result >= 0)
            return 0;
        int errno = Marshal.GetLastPInvokeError();
        return errno is ETIME or Interop.Errno.EINTR ? 0 : errno;
    }

    /// <summary>One io_uring_enter(2) on <paramref name="ring"/> (a descriptor, or a registered index with IORING_ENTER_REGISTERED_RING in <paramref name="flags"/>); waits at most <paramref name="timeoutNanoseconds"/> when waiting and not negative.</summary>
    private static int Enter(int ring, uint toSubmit, uint minComplete, uint flags, long timeoutNanoseconds)
    {
        if (minComplete > 0 && timeoutNanoseconds >= 0)
        {
            KernelTimespec ts = new() { Seconds = timeoutNanoseconds / 1_000_000_000, Nanoseconds = timeoutNanoseconds % 1_000_000_000 };
            GeteventsArg arg = new() { Ts = (ulong)&ts };
            return Interop.Uring.Enter(ring, toSubmit, minComplete, flags | IORING_ENTER_EXT_ARG, &arg, (nuint)sizeof(GeteventsArg));
        }

        return Interop.Uring.Enter(ring, toSubmit, minComplete, flags, null, 0);
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
