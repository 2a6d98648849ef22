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
        /// struct epoll_event. The kernel declares it packed on x86-64 (12 bytes: the 64-bit data at
        /// offset 4), which Pack = 4 reproduces; other architectures lay it out differently, so the
        /// epoll engine reports itself unsupported there rather than guess.
        /// </summary>
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        internal struct EpollEvent
        {
            public uint Events;
            public ulong Data;
        }

        public static bool LayoutMatchesThisMachine =>
            RuntimeInformation.ProcessArchitecture == Architecture.X64 && Marshal.SizeOf<EpollEvent>() == 12;

        [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        public static partial int Create(int flags);

        [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        public static unsafe partial int Control(int epfd, int op, int fd, EpollEvent* ev);

        [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        public static unsafe partial int Wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMilliseconds);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}
