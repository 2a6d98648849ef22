using System.Net.Sockets;

namespace Switchboard.Clients;

/// <summary>One non-blocking receive on a socket reported ready, turned into a client event.</summary>
internal static class ReadyReceive
{
    public static void Into(Socket socket, byte[] buffer, List<ClientEvent> events)
    {
        int n = socket.Receive(buffer, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
            return;
        if (error != SocketError.Success)
            events.Add(new ClientEvent(ClientEventKind.Failed, Reason: Describe(error)));
        else if (n == 0)
            events.Add(new ClientEvent(ClientEventKind.RemoteClosed));
        else
            events.Add(new ClientEvent(ClientEventKind.Received, buffer.AsMemory(0, n)));
    }

    public static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.TimedOut => "connection timed out",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostUnreachable => "host unreachable",
        _ => new SocketException((int)error).Message.ToLowerInvariant(),
    };
}
