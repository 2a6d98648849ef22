using System.Net.Sockets;
using System.Threading.Channels;

namespace Switchboard.Engines.Forking;

/// <summary>
/// In a forking server's parent: the channel to one worker. <see cref="Send"/> queues and returns
/// at once, so a worker that reads slowly holds up no one else; messages to one worker arrive in
/// the order sent.
/// </summary>
public sealed class WorkerLink
{
    private readonly Socket _socket;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

    internal WorkerLink(int pid, Socket socket)
    {
        Pid = pid;
        _socket = socket;
        _ = PumpAsync();
    }

    /// <summary>The worker's process id.</summary>
    public int Pid { get; }

    /// <summary>Queues <paramref name="message"/> for the worker's <see cref="ParentLink.Received"/>.</summary>
    /// <param name="message">The bytes; copied before the call returns.</param>
    public void Send(ReadOnlySpan<byte> message) => _outbound.Writer.TryWrite(Frames.Build(Frames.Message, message));

    internal void Complete() => _outbound.Writer.TryComplete();

    private async Task PumpAsync()
    {
        try
        {
            await foreach (byte[] frame in _outbound.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                for (int sent = 0; sent < frame.Length;)
                    sent += await _socket.SendAsync(frame.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The worker is gone; its exit is reported separately.
        }
    }
}
