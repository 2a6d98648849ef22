using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>socketpair(2): two connected Unix-domain sockets, used to wake a readiness loop and as the forking engine's control channels.</summary>
    internal static partial class SocketPair
    {
        private const int AF_UNIX = 1;
        private const int SOCK_STREAM = 1;
        private const int SOCK_NONBLOCK = 0x800;
        private const int SOCK_CLOEXEC = 0x80000;

        [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
        private static unsafe partial int Create(int domain, int type, int protocol, int* fds);

        /// <summary>Creates a non-blocking, close-on-exec pair, adopted as .NET sockets.</summary>
        public static unsafe (Socket A, Socket B) Create()
        {
            int* fds = stackalloc int[2];
            if (Create(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
                throw LastError("socketpair");
            // Tell .NET they are non-blocking, or its blocking-mode check refuses synchronous calls.
            return (Adopt(fds[0]), Adopt(fds[1]));
        }

        private static Socket Adopt(int fd) => new(new SafeSocketHandle(fd, ownsHandle: true)) { Blocking = false };
    }
}
