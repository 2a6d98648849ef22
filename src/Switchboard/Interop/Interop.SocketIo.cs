using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>
    /// accept4(2), recv(2), send(2), sendmsg(2) and the socket options the readiness engines (and
    /// io_uring's accepts) need, on bare descriptors (<see cref="SafeSocketDescriptor"/>): no .NET
    /// <see cref="Socket"/> is made for a connection these engines serve, which would cost system
    /// calls per accept, a few hundred bytes per connection and, for one used without its own
    /// async machinery, an async context it never needs. EINTR is retried here; other failures
    /// come back as a <see cref="SocketError"/>.
    /// </summary>
    internal static partial class SocketIo
    {
        private const int SOCK_NONBLOCK = 0x800;
        private const int SOCK_CLOEXEC = 0x80000;
        private const int MSG_DONTWAIT = 0x40;   // never blocks, even on a socket that is blocking
        private const int MSG_NOSIGNAL = 0x4000; // a write to a reset peer fails with EPIPE, not SIGPIPE

        private const int AF_INET = 2;
        private const int AF_INET6 = 10;
        private const int SockaddrStorageSize = 128;

        [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
        private static unsafe partial int SysAccept4(SafeSocketHandle listener, byte* address, int* addressLength, int flags);

        [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
        private static unsafe partial nint SysRecv(SafeHandle socket, byte* buffer, nuint length, int flags);

        [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
        private static unsafe partial nint SysSend(SafeHandle socket, byte* buffer, nuint length, int flags);

        [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        private static unsafe partial int SysSetSockOpt(SafeHandle socket, int level, int name, int* value, int length);

        [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
        private static partial int SysShutdown(SafeHandle socket, int how);

        [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
        private static unsafe partial int SysGetPeerName(SafeHandle socket, byte* address, int* addressLength);

        [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
        private static unsafe partial int SysGetSockName(SafeHandle socket, byte* address, int* addressLength);

        [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
        private static unsafe partial nint SysSendMsg(SafeHandle socket, MsgHdr* message, int flags);

        /// <summary>The most runs <see cref="SendGathered"/> writes in one call.</summary>
        public const int MaxGatheredRuns = 8;

        /// <summary>
        /// Accepts one connection as a non-blocking, close-on-exec descriptor with its peer's address
        /// (from accept4 itself), and no .NET <see cref="Socket"/>: making one costs seven more
        /// system calls per accept (fstat, four getsockopt, fcntl, getsockname and getpeername, seen
        /// with strace) and about 250 bytes per connection, for an engine that never uses it.
        /// Returns null with the error; a peer that is not IP is closed, as
        /// <see cref="SocketError.AddressFamilyNotSupported"/>.
        /// </summary>
        public static unsafe SafeSocketDescriptor? AcceptHandle(Socket listener, out IPEndPoint? remote, out SocketError error)
        {
            remote = null;
            byte* address = stackalloc byte[SockaddrStorageSize];
            int length;
            int fd;
            do
            {
                length = SockaddrStorageSize;
                fd = SysAccept4(listener.SafeHandle, address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
            if (fd < 0)
            {
                error = ToSocketError(Marshal.GetLastPInvokeError());
                return null;
            }

            var handle = new SafeSocketDescriptor(fd);
            remote = ToEndPoint(new ReadOnlySpan<byte>(address, Math.Min(length, SockaddrStorageSize)));
            if (remote is null)
            {
                handle.Dispose();
                error = SocketError.AddressFamilyNotSupported;
                return null;
            }

            error = SocketError.Success;
            return handle;
        }

        /// <summary>Turns Nagle's algorithm off (TCP_NODELAY), as every engine does for its connections.</summary>
        /// <exception cref="SocketException">The kernel refused.</exception>
        public static unsafe void SetNoDelay(SafeHandle socket)
        {
            const int IPPROTO_TCP = 6;
            const int TCP_NODELAY = 1;
            int on = 1;
            if (SysSetSockOpt(socket, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(int)) != 0)
                throw new SocketException((int)ToSocketError(Marshal.GetLastPInvokeError()));
        }

        /// <summary>Sends our FIN (shutdown(SHUT_WR)); the error, if any.</summary>
        public static SocketError ShutdownSend(SafeHandle socket)
        {
            const int SHUT_WR = 1;
            return SysShutdown(socket, SHUT_WR) == 0 ? SocketError.Success : ToSocketError(Marshal.GetLastPInvokeError());
        }

        /// <summary>The socket's own address (getsockname), for a listener bound to every address; an any-address end point if it cannot be read.</summary>
        public static unsafe EndPoint LocalEndPoint(SafeHandle socket)
        {
            byte* address = stackalloc byte[SockaddrStorageSize];
            int length = SockaddrStorageSize;
            return SysGetSockName(socket, address, &length) == 0 && ToEndPoint(new ReadOnlySpan<byte>(address, Math.Min(length, SockaddrStorageSize))) is { } local
                ? local
                : new IPEndPoint(IPAddress.Any, 0);
        }

        /// <summary>
        /// Takes a descriptor accepted elsewhere (an io_uring multishot accept, which gives no
        /// address) with its peer's address read by getpeername(2). A peer that reset before it
        /// was asked has none: <paramref name="unreadable"/> stands in (the connection is served
        /// until its read fails, as epoll serves it). A peer that is not IP is closed, and null
        /// returned.
        /// </summary>
        public static unsafe SafeSocketDescriptor? AdoptDescriptor(int fd, IPEndPoint unreadable, out IPEndPoint? remote)
        {
            var handle = new SafeSocketDescriptor(fd);
            byte* address = stackalloc byte[SockaddrStorageSize];
            int length = SockaddrStorageSize;
            if (SysGetPeerName(handle, address, &length) != 0)
            {
                remote = unreadable;
                return handle;
            }

            remote = ToEndPoint(new ReadOnlySpan<byte>(address, Math.Min(length, SockaddrStorageSize)));
            if (remote is null)
            {
                handle.Dispose();
                return null;
            }

            return handle;
        }

        /// <summary>Whether an accept error concerns only the connection it would have returned, so the next may be taken at once.</summary>
        public static bool IsAcceptedConnectionGone(SocketError error) => error is SocketError.ConnectionAborted or SocketError.ConnectionReset
            or SocketError.NetworkDown or SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.HostDown;

        /// <summary>Reads into <paramref name="buffer"/> without blocking: bytes read (0 at end of stream), or -1 with the error.</summary>
        public static unsafe int Receive(SafeHandle socket, Span<byte> buffer, out SocketError error)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                do
                    n = SysRecv(socket, p, (nuint)buffer.Length, MSG_DONTWAIT);
                while (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
            }

            error = n < 0 ? ToSocketError(Marshal.GetLastPInvokeError()) : SocketError.Success;
            return (int)n;
        }

        /// <summary>Writes from <paramref name="data"/> without blocking: bytes written (maybe fewer), or -1 with the error.</summary>
        public static unsafe int Send(SafeHandle socket, ReadOnlySpan<byte> data, out SocketError error)
        {
            nint n;
            fixed (byte* p = data)
            {
                do
                    n = SysSend(socket, p, (nuint)data.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
                while (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
            }

            error = n < 0 ? ToSocketError(Marshal.GetLastPInvokeError()) : SocketError.Success;
            return (int)n;
        }

        /// <summary>
        /// Writes <paramref name="runs"/> (one to <see cref="MaxGatheredRuns"/>) in one sendmsg(2)
        /// without blocking: bytes written (maybe fewer, ending mid-run), or -1 with the error.
        /// </summary>
        public static unsafe int SendGathered(SafeHandle socket, ReadOnlySpan<ReadOnlyMemory<byte>> runs, out SocketError error)
        {
            if (runs.Length == 1)
                return Send(socket, runs[0].Span, out error);
            if (runs.Length is 0 or > MaxGatheredRuns)
                throw new ArgumentOutOfRangeException(nameof(runs), runs.Length, $"one to {MaxGatheredRuns} runs");

            // Pinned for the call only, by fixed: no handle allocated per run.
            fixed (byte* p0 = Run(runs, 0))
            fixed (byte* p1 = Run(runs, 1))
            fixed (byte* p2 = Run(runs, 2))
            fixed (byte* p3 = Run(runs, 3))
            fixed (byte* p4 = Run(runs, 4))
            fixed (byte* p5 = Run(runs, 5))
            fixed (byte* p6 = Run(runs, 6))
            fixed (byte* p7 = Run(runs, 7))
            {
                byte** bases = stackalloc byte*[MaxGatheredRuns] { p0, p1, p2, p3, p4, p5, p6, p7 };
                IoVec* vectors = stackalloc IoVec[MaxGatheredRuns];
                for (int i = 0; i < runs.Length; i++)
                    vectors[i] = new IoVec { Base = (nint)bases[i], Length = (nuint)runs[i].Length };
                var message = new MsgHdr { Iov = vectors, IovLength = (nuint)runs.Length };
                nint n;
                do
                    n = SysSendMsg(socket, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
                while (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
                error = n < 0 ? ToSocketError(Marshal.GetLastPInvokeError()) : SocketError.Success;
                return (int)n;
            }
        }

        private static ReadOnlySpan<byte> Run(ReadOnlySpan<ReadOnlyMemory<byte>> runs, int index) =>
            index < runs.Length ? runs[index].Span : default;

        /// <summary>A sockaddr_in or sockaddr_in6 (Linux layout) as an end point; null for another family.</summary>
        private static IPEndPoint? ToEndPoint(ReadOnlySpan<byte> address)
        {
            if (address.Length < 2)
                return null;
            int family = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(address) : BinaryPrimitives.ReadUInt16BigEndian(address);
            if (family == AF_INET && address.Length >= 8)
                return new IPEndPoint(new IPAddress(address.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            if (family == AF_INET6 && address.Length >= 28)
            {
                uint scope = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(address[24..]) : BinaryPrimitives.ReadUInt32BigEndian(address[24..]);
                return new IPEndPoint(new IPAddress(address.Slice(8, 16), scope), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            }

            return null;
        }

        /// <summary>Linux errno values as .NET names them, for the errors a connected or listening socket meets.</summary>
        public static SocketError ToSocketError(int errno) => errno switch
        {
            Errno.EAGAIN => SocketError.WouldBlock,
            Errno.EMFILE or Errno.ENFILE => SocketError.TooManyOpenSockets,
            12 or 105 => SocketError.NoBufferSpaceAvailable, // ENOMEM, ENOBUFS
            32 => SocketError.Shutdown,                      // EPIPE
            103 or 71 => SocketError.ConnectionAborted,      // ECONNABORTED, EPROTO
            100 => SocketError.NetworkDown,                  // ENETDOWN
            112 => SocketError.HostDown,                     // EHOSTDOWN
            104 => SocketError.ConnectionReset,              // ECONNRESET
            107 => SocketError.NotConnected,                 // ENOTCONN
            110 => SocketError.TimedOut,                     // ETIMEDOUT
            113 => SocketError.HostUnreachable,              // EHOSTUNREACH
            101 => SocketError.NetworkUnreachable,           // ENETUNREACH
            9 => SocketError.OperationAborted,               // EBADF: closed under us
            _ => SocketError.SocketError,
        };
    }
}
