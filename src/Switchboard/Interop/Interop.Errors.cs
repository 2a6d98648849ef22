using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>errno values the engines act on (Linux numbering).</summary>
    internal static class Errno
    {
        public const int EINTR = 4;
        public const int EAGAIN = 11;
        public const int EMFILE = 24;
        public const int ENFILE = 23;
    }

    /// <summary>The errno of the last failed call, as an exception naming the call.</summary>
    internal static Win32Exception LastError(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
