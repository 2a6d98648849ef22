using System.Net;
using System.Net.Sockets;

namespace Switchboard.Tests.Support;

/// <summary>For tests where a service manager (systemd-socket-activate) listens in serve's place.</summary>
public static class ManagedSockets
{
    /// <summary>A loopback port free now, for the manager to listen on (it cannot be told to pick one).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Connects once the manager listens (it starts a moment after it is run).</summary>
    public static async Task<TestClient> ConnectWhenListeningAsync(IPEndPoint address)
    {
        var deadline = DateTime.UtcNow + Timeouts.Patient;
        while (true)
        {
            try
            {
                return await TestClient.ConnectAsync(address);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20); // not listening yet: bounded by the deadline above
            }
        }
    }
}
