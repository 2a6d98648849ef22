using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>getrlimit(2)/setrlimit(2) for the descriptor and process limits.</summary>
    internal static partial class ResourceLimits
    {
        private const int RLIMIT_NPROC = 6;
        private const int RLIMIT_NOFILE = 7;
        private const ulong RLIM_INFINITY = ulong.MaxValue;

        [StructLayout(LayoutKind.Sequential)]
        private struct RLimit
        {
            public ulong Current;
            public ulong Maximum;
        }

        [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
        private static partial int Get(int resource, out RLimit limit);

        [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
        private static partial int Set(int resource, in RLimit limit);

        /// <summary>The soft descriptor limit: the most descriptors this process may have open.</summary>
        public static ulong OpenFiles()
        {
            if (Get(RLIMIT_NOFILE, out var limit) != 0)
                throw LastError("getrlimit");
            return limit.Current;
        }

        /// <summary>
        /// The soft limit on processes and threads of this user (<c>ulimit -u</c>), or null when
        /// there is none.
        /// </summary>
        public static ulong? Processes()
        {
            if (Get(RLIMIT_NPROC, out var limit) != 0)
                throw LastError("getrlimit");
            return limit.Current == RLIM_INFINITY ? null : limit.Current;
        }

        /// <summary>Raises the soft descriptor limit to the hard limit; returns (soft before, soft after).</summary>
        public static (ulong Before, ulong After) RaiseOpenFilesToHardLimit()
        {
            if (Get(RLIMIT_NOFILE, out var limit) != 0)
                throw LastError("getrlimit");
            ulong before = limit.Current;
            if (limit.Current < limit.Maximum)
            {
                limit.Current = limit.Maximum;
                if (Set(RLIMIT_NOFILE, limit) != 0)
                    throw LastError("setrlimit");
            }

            return (before, limit.Current);
        }
    }
}
