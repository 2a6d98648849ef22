using Microsoft.Win32.SafeHandles;

namespace Switchboard.Interop;

/// <summary>An io_uring instance's descriptor (io_uring_setup(2)), closed with close(2), which ends the ring.</summary>
internal sealed class SafeUringHandle : SafeHandleMinusOneIsInvalid
{
    public SafeUringHandle(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    protected override bool ReleaseHandle() => Interop.Fcntl.Close((int)handle) == 0;
}
