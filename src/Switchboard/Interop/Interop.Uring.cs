using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>
    /// io_uring(7) by its three system calls, made through <c>syscall(2)</c> (glibc has no
    /// wrappers; the numbers are the same on x86-64 and arm64), with the kernel's structures laid
    /// out as in <c>linux/io_uring.h</c>. <see cref="UringRing"/> is the ring built on them.
    /// </summary>
    internal static unsafe partial class Uring
    {
        public const long SYS_io_uring_setup = 425;
        public const long SYS_io_uring_enter = 426;
        public const long SYS_io_uring_register = 427;

        // io_uring_setup flags.
        public const uint IORING_SETUP_CQSIZE = 1u << 3;
        public const uint IORING_SETUP_CLAMP = 1u << 4;
        public const uint IORING_SETUP_R_DISABLED = 1u << 6;
        public const uint IORING_SETUP_SUBMIT_ALL = 1u << 7;
        public const uint IORING_SETUP_COOP_TASKRUN = 1u << 8;
        public const uint IORING_SETUP_SINGLE_ISSUER = 1u << 12;
        public const uint IORING_SETUP_DEFER_TASKRUN = 1u << 13;

        // io_uring_params.features.
        public const uint IORING_FEAT_SINGLE_MMAP = 1u << 0;
        public const uint IORING_FEAT_NODROP = 1u << 1;
        public const uint IORING_FEAT_EXT_ARG = 1u << 8;

        // mmap offsets.
        public const long IORING_OFF_SQ_RING = 0;
        public const long IORING_OFF_SQES = 0x10000000;

        // io_uring_enter flags.
        public const uint IORING_ENTER_GETEVENTS = 1u << 0;
        public const uint IORING_ENTER_EXT_ARG = 1u << 3;
        public const uint IORING_ENTER_REGISTERED_RING = 1u << 4;

        // io_uring_register opcodes.
        public const uint IORING_REGISTER_PROBE = 8;
        public const uint IORING_REGISTER_ENABLE_RINGS = 12;
        public const uint IORING_REGISTER_RING_FDS = 20;
        public const uint IORING_UNREGISTER_RING_FDS = 21;
        public const uint IORING_REGISTER_PBUF_RING = 22;
        public const uint IORING_UNREGISTER_PBUF_RING = 23;
        public const ushort IOU_PBUF_RING_INC = 2; // io_uring_buf_reg.flags: buffers consumed incrementally (Linux 6.12)

        // Opcodes.
        public const byte IORING_OP_NOP = 0;
        public const byte IORING_OP_SENDMSG = 9;
        public const byte IORING_OP_ACCEPT = 13;
        public const byte IORING_OP_ASYNC_CANCEL = 14;
        public const byte IORING_OP_READ = 22;
        public const byte IORING_OP_SEND = 26;
        public const byte IORING_OP_RECV = 27;

        // sqe.flags.
        public const byte IOSQE_BUFFER_SELECT = 1 << 5;

        // sqe.ioprio for accept and recv.
        public const ushort IORING_ACCEPT_MULTISHOT = 1 << 0;
        public const ushort IORING_RECV_MULTISHOT = 1 << 1;

        // sqe.cancel_flags.
        public const uint IORING_ASYNC_CANCEL_ALL = 1u << 0;
        public const uint IORING_ASYNC_CANCEL_FD = 1u << 1;
        public const uint IORING_ASYNC_CANCEL_ANY = 1u << 2;

        // cqe.flags.
        public const uint IORING_CQE_F_BUFFER = 1u << 0;
        public const uint IORING_CQE_F_MORE = 1u << 1;
        public const uint IORING_CQE_F_BUF_MORE = 1u << 4; // an incremental buffer the kernel goes on filling
        public const int IORING_CQE_BUFFER_SHIFT = 16;

        public const ushort IO_URING_OP_SUPPORTED = 1;

        public const int SOCK_CLOEXEC = 0x80000;
        public const int MSG_NOSIGNAL = 0x4000;

        // errno values io_uring completions carry (negated) that the engine acts on.
        public const int ENOENT = 2;
        public const int EPERM = 1;
        public const int EBADF = 9;
        public const int ENOMEM = 12;
        public const int EBUSY = 16;
        public const int EINVAL = 22;
        public const int ENOSYS = 38;
        public const int ETIME = 62;
        public const int ENOBUFS = 105;
        public const int ECANCELED = 125;

        [StructLayout(LayoutKind.Sequential)]
        public struct SqringOffsets
        {
            public uint Head;
            public uint Tail;
            public uint RingMask;
            public uint RingEntries;
            public uint Flags;
            public uint Dropped;
            public uint Array;
            public uint Resv1;
            public ulong UserAddr;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct CqringOffsets
        {
            public uint Head;
            public uint Tail;
            public uint RingMask;
            public uint RingEntries;
            public uint Overflow;
            public uint Cqes;
            public uint Flags;
            public uint Resv1;
            public ulong UserAddr;
        }

        /// <summary><c>struct io_uring_params</c> (120 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct Params
        {
            public uint SqEntries;
            public uint CqEntries;
            public uint Flags;
            public uint SqThreadCpu;
            public uint SqThreadIdle;
            public uint Features;
            public uint WqFd;
            public fixed uint Resv[3];
            public SqringOffsets SqOff;
            public CqringOffsets CqOff;
        }

        /// <summary><c>struct io_uring_sqe</c> (64 bytes), with the fields this engine fills.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 64)]
        public struct Sqe
        {
            [FieldOffset(0)] public byte Opcode;
            [FieldOffset(1)] public byte Flags;
            [FieldOffset(2)] public ushort IoPrio;
            [FieldOffset(4)] public int Fd;
            [FieldOffset(8)] public ulong Off;
            [FieldOffset(16)] public ulong Addr;
            [FieldOffset(24)] public uint Len;
            [FieldOffset(28)] public uint OpFlags; // msg_flags, accept_flags, cancel_flags, …
            [FieldOffset(32)] public ulong UserData;
            [FieldOffset(40)] public ushort BufGroup;
            [FieldOffset(42)] public ushort Personality;
            [FieldOffset(44)] public uint FileIndex;
            [FieldOffset(48)] public ulong Addr3;
            [FieldOffset(56)] public ulong Pad2;
        }

        /// <summary><c>struct io_uring_cqe</c> (16 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct Cqe
        {
            public ulong UserData;
            public int Res;
            public uint Flags;
        }

        /// <summary><c>struct io_uring_getevents_arg</c>, for <see cref="IORING_ENTER_EXT_ARG"/>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct GeteventsArg
        {
            public ulong Sigmask;
            public uint SigmaskSize;
            public uint MinWaitUsec;
            public ulong Ts;
        }

        /// <summary><c>struct __kernel_timespec</c>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct KernelTimespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        /// <summary><c>struct io_uring_rsrc_update</c> (16 bytes), for <see cref="IORING_REGISTER_RING_FDS"/>: offset uint.MaxValue asks for any free slot.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct RsrcUpdate
        {
            public uint Offset;
            public uint Resv;
            public ulong Data;
        }

        /// <summary><c>struct io_uring_buf_reg</c> (40 bytes), for <see cref="IORING_REGISTER_PBUF_RING"/>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct BufReg
        {
            public ulong RingAddr;
            public uint RingEntries;
            public ushort Bgid;
            public ushort Flags;
            public fixed ulong Resv[3];
        }

        /// <summary><c>struct io_uring_buf</c> (16 bytes); the ring's tail is the first entry's last two bytes.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct Buf
        {
            public ulong Addr;
            public uint Len;
            public ushort Bid;
            public ushort Resv;
        }

        /// <summary>The kernel's <c>io_uring_probe</c> header (16 bytes), followed by 8-byte ops.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct ProbeHeader
        {
            public byte LastOp;
            public byte OpsLen;
            public ushort Resv;
            public fixed uint Resv2[3];
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct ProbeOp
        {
            public byte Op;
            public byte Resv;
            public ushort Flags;
            public uint Resv2;
        }

        /// <summary>syscall(2): -1 with errno on failure.</summary>
        [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
        private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        public static partial int Munmap(nint address, nuint length);

        [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
        public static partial int EventFd(uint initial, int flags);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(SafeHandle fd, void* buffer, nuint count);

        public const int PROT_READ = 1;
        public const int PROT_WRITE = 2;
        public const int MAP_SHARED = 1;
        public const int MAP_POPULATE = 0x8000;
        public const int EFD_CLOEXEC = 0x80000;

        /// <summary>io_uring_setup(2): the ring's descriptor, or -1 with errno.</summary>
        public static int Setup(uint entries, Params* parameters) =>
            (int)Syscall(SYS_io_uring_setup, entries, (long)parameters, 0, 0, 0, 0);

        /// <summary>io_uring_enter(2): requests submitted, or -1 with errno.</summary>
        public static int Enter(int fd, uint toSubmit, uint minComplete, uint flags, void* arg, nuint argSize) =>
            (int)Syscall(SYS_io_uring_enter, fd, toSubmit, minComplete, flags, (long)arg, (long)argSize);

        /// <summary>io_uring_register(2): 0 (or a positive result), or -1 with errno.</summary>
        public static int Register(int fd, uint opcode, void* arg, uint count) =>
            (int)Syscall(SYS_io_uring_register, fd, opcode, (long)arg, count, 0, 0);
    }
}
