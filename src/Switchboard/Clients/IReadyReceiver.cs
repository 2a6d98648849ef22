using System.Net.Sockets;

namespace Switchboard.Clients;

/// <summary>
/// What a readiness waiter (poll, select) does when the socket is readable, and what it must not
/// miss when it is not: data the connection already holds (TLS: plain text decrypted and buffered,
/// which no readiness wait on the socket can see).
/// </summary>
internal interface IReadyReceiver
{
    /// <summary>Data is waiting without the socket: the next wait must not block.</summary>
    bool Buffered { get; }

    /// <summary>
    /// Adds what arrived to <paramref name="events"/>: receives from the socket without blocking
    /// if it was reported ready, then takes what is buffered.
    /// </summary>
    void Receive(List<ClientEvent> events, bool socketReady);
}

/// <summary>Plain TCP: one non-blocking receive when the socket is ready; nothing is ever buffered.</summary>
internal sealed class SocketReceiver(Socket socket) : IReadyReceiver
{
    private readonly byte[] _buffer = new byte[4096];

    public bool Buffered => false;

    public void Receive(List<ClientEvent> events, bool socketReady)
    {
        if (socketReady)
            ReadyReceive.Into(socket, _buffer, events);
    }
}
