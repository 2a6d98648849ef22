using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>
    /// accept4(2), recv(2) and send(2) for the readiness engines, which drive non-blocking sockets
    /// themselves. .NET's own calls on a non-blocking socket go through a per-socket async context
    /// (about 200 bytes, measured with dotnet-gcdump) that a readiness loop never needs: sockets
    /// accepted here are non-blocking in the kernel while .NET still thinks them blocking, so it
    /// never makes one. EINTR is retried here; other failures come back as a <see cref="SocketError"/>.
    /// </summary>
    internal static partial class SocketIo
    {
        private const int SOCK_NONBLOCK = 0x800;
        private const int SOCK_CLOEXEC = 0x80000;
        private const int MSG_DONTWAIT = 0x40;   // never blocks, even on a socket that is blocking
        private const int MSG_NOSIGNAL = 0x4000; // a write to a reset peer fails with EPIPE, not SIGPIPE

        [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
        private static partial int Accept4(SafeSocketHandle listener, nint address, nint addressLength, int flags);

        [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
        private static unsafe partial nint Recv(SafeSocketHandle socket, byte* buffer, nuint length, int flags);

        [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
        private static unsafe partial nint SendTo(SafeSocketHandle socket, byte* buffer, nuint length, int flags);

        /// <summary>Accepts one connection as a non-blocking, close-on-exec socket, or returns null with the error.</summary>
        public static Socket? Accept(Socket listener, out SocketError error)
        {
            int fd;
            do
                fd = Accept4(listener.SafeHandle, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
            while (fd < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
            if (fd < 0)
            {
                error = ToSocketError(Marshal.GetLastPInvokeError());
                return null;
            }

            error = SocketError.Success;
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }

        /// <summary>Reads into <paramref name="buffer"/>: bytes read (0 at end of stream), or -1 with the error.</summary>
        public static unsafe int Receive(Socket socket, Span<byte> buffer, out SocketError error)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                do
                    n = Recv(socket.SafeHandle, p, (nuint)buffer.Length, 0);
                while (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
            }

            error = n < 0 ? ToSocketError(Marshal.GetLastPInvokeError()) : SocketError.Success;
            return (int)n;
        }

        /// <summary>Writes from <paramref name="data"/> without blocking: bytes written (maybe fewer), or -1 with the error.</summary>
        public static unsafe int Send(Socket socket, ReadOnlySpan<byte> data, out SocketError error)
        {
            nint n;
            fixed (byte* p = data)
            {
                do
                    n = SendTo(socket.SafeHandle, p, (nuint)data.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
                while (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
            }

            error = n < 0 ? ToSocketError(Marshal.GetLastPInvokeError()) : SocketError.Success;
            return (int)n;
        }

        /// <summary>Linux errno values as .NET names them, for the errors a connected or listening socket meets.</summary>
        private static SocketError ToSocketError(int errno) => errno switch
        {
            Errno.EAGAIN => SocketError.WouldBlock,
            Errno.EMFILE or Errno.ENFILE => SocketError.TooManyOpenSockets,
            12 or 105 => SocketError.NoBufferSpaceAvailable, // ENOMEM, ENOBUFS
            32 => SocketError.Shutdown,                      // EPIPE
            103 => SocketError.ConnectionAborted,            // ECONNABORTED
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
