using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>sched_setaffinity(2), for the benchmark's keeping server and load generator on different cores.</summary>
    internal static partial class Scheduling
    {
        [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
        private static partial int SetAffinity(int tid, nuint size, in ulong mask);

        /// <summary>
        /// Pins thread <paramref name="tid"/> (a process's id is its main thread's) to core
        /// <paramref name="core"/> (0 to 63); false if it failed, e.g. because the thread has ended.
        /// </summary>
        public static bool PinThread(int tid, int core) => SetAffinity(tid, sizeof(ulong), 1UL << core) == 0;
    }
}
