using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>Signals and parent death, for the forking engine's workers.</summary>
    internal static partial class ProcessControl
    {
        public const int SIGKILL = 9;
        public const int SIGTERM = 15;
        private const int PR_SET_PDEATHSIG = 1;

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static partial int Kill(int pid, int signal);

        [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
        private static partial int Prctl(int option, nint arg2, nint arg3, nint arg4, nint arg5);

        [LibraryImport("libc", EntryPoint = "getppid")]
        public static partial int GetParentProcessId();

        /// <summary>Sends <paramref name="signal"/>; false if the process is already gone.</summary>
        public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

        /// <summary>Asks the kernel to send this process <paramref name="signal"/> when its parent dies, so no worker outlives its server.</summary>
        public static void SignalMeWhenParentDies(int signal)
        {
            if (Prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0)
                throw LastError("prctl(PR_SET_PDEATHSIG)");
        }
    }
}
