using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>fcntl(2), for the close-on-exec flag that decides what a started worker inherits.</summary>
    internal static partial class Fcntl
    {
        private const int F_GETFD = 1;
        private const int F_SETFD = 2;
        private const int FD_CLOEXEC = 1;
        private const int F_GETFL = 3;
        private const int F_SETFL = 4;
        private const int O_NONBLOCK = 0x800;

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        private static partial int Call(int fd, int command, int argument);

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        private static partial int Call(SafeHandle fd, int command, int argument);

        /// <summary>Sets or clears O_NONBLOCK on <paramref name="fd"/> (before .NET adopts it, so that its idea of the mode is true).</summary>
        public static void SetNonBlocking(SafeHandle fd, bool nonBlocking)
        {
            int flags = Call(fd, F_GETFL, 0);
            if (flags < 0)
                throw LastError("fcntl(F_GETFL)");
            int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
            if (wanted != flags && Call(fd, F_SETFL, wanted) < 0)
                throw LastError("fcntl(F_SETFL)");
        }

        /// <summary>Sets or clears O_NONBLOCK on <paramref name="fd"/> (before .NET adopts it, so that its idea of the mode is true).</summary>
        public static void SetNonBlocking(int fd, bool nonBlocking)
        {
            int flags = Call(fd, F_GETFL, 0);
            if (flags < 0)
                throw LastError("fcntl(F_GETFL)");
            int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
            if (wanted != flags && Call(fd, F_SETFL, wanted) < 0)
                throw LastError("fcntl(F_SETFL)");
        }

        /// <summary>Sets or clears FD_CLOEXEC on <paramref name="fd"/>.</summary>
        public static void SetCloseOnExec(int fd, bool closeOnExec)
        {
            int flags = Call(fd, F_GETFD, 0);
            if (flags < 0)
                throw LastError("fcntl(F_GETFD)");
            int wanted = closeOnExec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
            if (wanted != flags && Call(fd, F_SETFD, wanted) < 0)
                throw LastError("fcntl(F_SETFD)");
        }
    }
}
