using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>getrlimit(2)/setrlimit(2) for the descriptor limit.</summary>
    internal static partial class ResourceLimits
    {
        private const int RLIMIT_NOFILE = 7;

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
