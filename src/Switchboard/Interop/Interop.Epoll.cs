using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>epoll(7).</summary>
    internal static partial class Epoll
    {
        public const uint EPOLLIN = 0x001;
        public const uint EPOLLOUT = 0x004;
        public const uint EPOLLERR = 0x008;
        public const uint EPOLLHUP = 0x010;
        public const uint EPOLLRDHUP = 0x2000;

        public const int EPOLL_CTL_ADD = 1;
        public const int EPOLL_CTL_DEL = 2;
        public const int EPOLL_CTL_MOD = 3;

        public const int EPOLL_CLOEXEC = 0x80000;

        /// <summary>
        /// Whether this machine's <c>struct epoll_event</c> is <see cref="PackedEpollEvent"/>
        /// (x86-64) rather than <see cref="AlignedEpollEvent"/> (every other architecture).
        /// </summary>
        public static bool IsPacked => RuntimeInformation.ProcessArchitecture == Architecture.X64;

        /// <summary>epoll_create1(2); the handle is invalid if it failed (errno says why).</summary>
        [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        public static partial SafeEpollHandle Create(int flags);

        /// <summary>epoll_ctl(2); <paramref name="ev"/> points to this machine's <c>struct epoll_event</c>.</summary>
        [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        public static unsafe partial int Control(SafeEpollHandle epoll, int op, int fd, void* ev);

        /// <summary>epoll_wait(2); <paramref name="events"/> holds <paramref name="maxEvents"/> of this machine's <c>struct epoll_event</c>.</summary>
        [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        public static unsafe partial int Wait(SafeEpollHandle epoll, void* events, int maxEvents, int timeoutMilliseconds);
    }
}
