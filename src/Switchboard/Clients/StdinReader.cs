using System.Threading.Channels;

namespace Switchboard.Clients;

/// <summary>
/// Reads stdin on a helper thread into a channel, for waiters that cannot wait on stdin
/// themselves (<c>Socket.Select</c> takes only sockets). Empty memory marks end of input.
/// </summary>
internal sealed class StdinReader
{
    private readonly Channel<ReadOnlyMemory<byte>> _chunks = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();

    public StdinReader(Stream input)
    {
        var thread = new Thread(() => Pump(input)) { IsBackground = true, Name = "switchboard-stdin" };
        thread.Start();
    }

    public ChannelReader<ReadOnlyMemory<byte>> Chunks => _chunks.Reader;

    /// <summary>Moves whatever input is waiting into <paramref name="events"/>.</summary>
    public void Drain(List<ClientEvent> events)
    {
        while (_chunks.Reader.TryRead(out var chunk))
            events.Add(chunk.IsEmpty ? new ClientEvent(ClientEventKind.InputEnded) : new ClientEvent(ClientEventKind.Input, chunk));
    }

    private void Pump(Stream input)
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = input.Read(buffer)) > 0)
                _chunks.Writer.TryWrite(buffer.AsSpan(0, n).ToArray());
        }
        catch (IOException)
        {
            // stdin went away: same as its end.
        }

        _chunks.Writer.TryWrite(ReadOnlyMemory<byte>.Empty);
    }
}
