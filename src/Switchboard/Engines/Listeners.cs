using System.Net;
using System.Net.Sockets;

namespace Switchboard.Engines;

/// <summary>Creates listening sockets, turning bind failures into one readable line.</summary>
internal static class Listeners
{
    public static Socket Bind(ServerOptions options)
    {
        var endPoint = options.EndPoint;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            // No ReuseAddress: on Linux .NET maps it to SO_REUSEPORT as well, which lets a second
            // server bind the same port and take half its clients instead of failing "in use".
            // .NET sets SO_REUSEADDR on listeners by itself, so a restart need not wait out TIME_WAIT.
            socket.Bind(endPoint);
            socket.Listen(options.Backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ServerStartException($"cannot listen on {Format(endPoint)}: {Describe(e.SocketErrorCode, e.Message)}", e);
        }
    }

    /// <summary>A socket bound and listening elsewhere (systemd's), checked to be one a server can accept TCP connections on.</summary>
    /// <exception cref="ServerStartException">It is not a listening TCP socket.</exception>
    public static Socket Adopt(Socket socket)
    {
        bool listening;
        try
        {
            listening = socket.SocketType == SocketType.Stream
                && socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
                && socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is int accepting && accepting != 0;
        }
        catch (SocketException)
        {
            listening = false;
        }

        if (!listening)
            throw new ServerStartException($"the socket given ({Describe(socket)}) is not a listening TCP socket");
        return socket;
    }

    private static string Describe(Socket socket)
    {
        try
        {
            return $"{socket.AddressFamily} {socket.SocketType}, {socket.LocalEndPoint?.ToString() ?? "unbound"}";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return "unreadable";
        }
    }

    /// <summary>"127.0.0.1:1234" or "[::1]:1234".</summary>
    public static string Format(EndPoint endPoint) => endPoint.ToString() ?? "?";

    private static string Describe(SocketError error, string fallback) => error switch
    {
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "address not available on this machine",
        SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
        SocketError.AddressFamilyNotSupported => "address family not supported",
        _ => fallback.ToLowerInvariant(),
    };
}
