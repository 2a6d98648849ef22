using Microsoft.Win32.SafeHandles;

namespace Switchboard.Interop;

/// <summary>
/// An epoll instance's descriptor (epoll_create1(2)), closed with close(2). Only -1 is invalid:
/// 0 is a descriptor like any other when standard input is closed.
/// </summary>
internal sealed class SafeEpollHandle : SafeHandleMinusOneIsInvalid
{
    /// <summary>For the interop marshaller, which sets the descriptor.</summary>
    public SafeEpollHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => Interop.Fcntl.Close((int)handle) == 0;
}
