using Microsoft.Win32.SafeHandles;

namespace Switchboard.Interop;

/// <summary>
/// A connected socket's descriptor that the readiness engines drive with system calls of their
/// own (<see cref="Interop.SocketIo"/>), closed with a plain close(2): a FIN, or a reset only if
/// input is left unread, as in C. Not .NET's <see cref="System.Net.Sockets.SafeSocketHandle"/>,
/// which on Linux closes a TCP socket abortively (a reset, and the reply in flight lost) unless
/// .NET's own Shutdown was called on it.
/// </summary>
internal sealed class SafeSocketDescriptor : SafeHandleMinusOneIsInvalid
{
    public SafeSocketDescriptor(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    protected override bool ReleaseHandle() => Interop.Fcntl.Close((int)handle) == 0;
}
