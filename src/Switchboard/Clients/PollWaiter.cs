using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static Switchboard.Interop.Interop;

namespace Switchboard.Clients;

/// <summary>The seed's poll client: one <c>poll(2)</c> on the socket and stdin (descriptor 0) per tick.</summary>
internal sealed class PollWaiter : IClientWaiter
{
    private const int StdinFd = 0;

    private readonly Socket _socket;
    private readonly IReadyReceiver _receiver;
    private readonly byte[] _inputBuffer = new byte[4096];
    private readonly FileStream _stdin = new(new SafeFileHandle(StdinFd, ownsHandle: false), FileAccess.Read, bufferSize: 0);
    private bool _inputOpen;

    public PollWaiter(Socket socket, IReadyReceiver receiver, bool watchStdin)
    {
        _socket = socket;
        _receiver = receiver;
        _inputOpen = watchStdin;
    }

    public unsafe ValueTask WaitAsync(TimeSpan tick, List<ClientEvent> events, CancellationToken cancellation)
    {
        var fds = stackalloc Poll.PollFd[2];
        fds[0] = new Poll.PollFd { Fd = (int)_socket.Handle, Events = Poll.POLLIN };
        fds[1] = new Poll.PollFd { Fd = StdinFd, Events = Poll.POLLIN };
        // Data the receiver already holds (TLS) is not on the socket: look, but do not wait.
        int n = Poll.Wait(fds, _inputOpen ? 2u : 1u, _receiver.Buffered ? 0 : (int)tick.TotalMilliseconds);
        if (n < 0)
        {
            if (Marshal.GetLastPInvokeError() != Errno.EINTR)
                throw LastError("poll");
            return ValueTask.CompletedTask;
        }

        if (_inputOpen && fds[1].Revents != 0)
            ReadInput(events);
        if ((fds[0].Revents & Poll.POLLIN) == 0 && (fds[0].Revents & (Poll.POLLERR | Poll.POLLHUP | Poll.POLLNVAL)) != 0)
            events.Add(new ClientEvent(ClientEventKind.Failed, Reason: SocketErrorOf(_socket)));
        else
            _receiver.Receive(events, socketReady: (fds[0].Revents & Poll.POLLIN) != 0);
        return ValueTask.CompletedTask;
    }

    public void Dispose() => _stdin.Dispose();

    private void ReadInput(List<ClientEvent> events)
    {
        int n;
        try
        {
            n = _stdin.Read(_inputBuffer);
        }
        catch (IOException)
        {
            n = 0;
        }

        if (n > 0)
        {
            events.Add(new ClientEvent(ClientEventKind.Input, _inputBuffer.AsMemory(0, n)));
            return;
        }

        _inputOpen = false;
        events.Add(new ClientEvent(ClientEventKind.InputEnded));
    }

    private static string SocketErrorOf(Socket socket)
    {
        var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        return error == SocketError.Success ? "the connection failed" : ReadyReceive.Describe(error);
    }
}
