using System.Net.Sockets;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>The kernel's TCP state of a socket (Linux: the first byte of <c>TCP_INFO</c>).</summary>
    internal static class TcpState
    {
        private const int IPPROTO_TCP = 6;
        private const int TCP_INFO = 11;
        private const byte TCP_CLOSE = 7;

        // struct tcp_info: eight one-byte fields, then u32s: rto, ato, snd_mss, rcv_mss, unacked.
        // On a listening socket Linux reports its accept queue's length in tcpi_unacked.
        private const int UnackedOffset = 24;

        /// <summary>
        /// True if the connection is closed at the TCP level though this side never closed it: the
        /// peer reset it. A receive that reads end of stream cannot tell that from a graceful close
        /// when a send on another thread took the reset error first. False where it cannot be told.
        /// </summary>
        public static bool IsReset(Socket socket)
        {
            if (!OperatingSystem.IsLinux())
                return false;
            Span<byte> state = stackalloc byte[1]; // tcpi_state; the kernel copies no more than asked
            try
            {
                return socket.GetRawSocketOption(IPPROTO_TCP, TCP_INFO, state) == 1 && state[0] == TCP_CLOSE;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    
        /// <summary>
        /// How many connections wait in a listening socket's accept queue (Linux: <c>tcpi_unacked</c>
        /// of a listener), or null where that cannot be read.
        /// </summary>
        public static int? AcceptQueueLength(Socket listener)
        {
            if (!OperatingSystem.IsLinux())
                return null;
            Span<byte> info = stackalloc byte[UnackedOffset + sizeof(uint)];
            try
            {
                return listener.GetRawSocketOption(IPPROTO_TCP, TCP_INFO, info) == info.Length
                    ? (int)Math.Min(System.Runtime.InteropServices.MemoryMarshal.Read<uint>(info[UnackedOffset..]), int.MaxValue)
                    : null;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }
    }
}
