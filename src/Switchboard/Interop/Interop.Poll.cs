using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>poll(2).</summary>
    internal static partial class Poll
    {
        public const short POLLIN = 0x001;
        public const short POLLOUT = 0x004;
        public const short POLLERR = 0x008;
        public const short POLLHUP = 0x010;
        public const short POLLNVAL = 0x020;
        public const short POLLRDHUP = 0x2000;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        /// <summary>Waits for events on <paramref name="count"/> descriptors; -1 with errno on failure.</summary>
        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        public static unsafe partial int Wait(PollFd* fds, nuint count, int timeoutMilliseconds);
    }
}
