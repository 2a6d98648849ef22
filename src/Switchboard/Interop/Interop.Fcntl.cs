using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>fcntl(2), for the close-on-exec flag that decides what a started worker inherits; and close(2), for the descriptors the safe handles here own.</summary>
    internal static partial class Fcntl
    {
        /// <summary>close(2).</summary>
        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        private const int F_GETFD = 1;
        private const int F_SETFD = 2;
        private const int FD_CLOEXEC = 1;
        private const int F_GETFL = 3;
        private const int F_SETFL = 4;
        private const int O_NONBLOCK = 0x800;

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        private static partial int Call(SafeHandle fd, int command, int argument);

        /// <summary>Sets or clears O_NONBLOCK on <paramref name="fd"/> (before .NET adopts it, so that its idea of the mode is true).</summary>
        public static void SetNonBlocking(SafeHandle fd, bool nonBlocking) =>
            SetFlag(fd, F_GETFL, F_SETFL, O_NONBLOCK, nonBlocking, "fcntl(F_GETFL)", "fcntl(F_SETFL)");

        /// <summary>Sets or clears FD_CLOEXEC on <paramref name="fd"/>.</summary>
        public static void SetCloseOnExec(SafeHandle fd, bool closeOnExec) =>
            SetFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, closeOnExec, "fcntl(F_GETFD)", "fcntl(F_SETFD)");

        private static void SetFlag(SafeHandle fd, int get, int set, int flag, bool on, string getName, string setName)
        {
            int flags = Call(fd, get, 0);
            if (flags < 0)
                throw LastError(getName);
            int wanted = on ? flags | flag : flags & ~flag;
            if (wanted != flags && Call(fd, set, wanted) < 0)
                throw LastError(setName);
        }
    }
}
