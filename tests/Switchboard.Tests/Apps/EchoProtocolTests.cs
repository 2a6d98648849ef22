using Switchboard.Apps;
using Switchboard.Testing;

namespace Switchboard.Tests.Apps;

public sealed class EchoProtocolTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(65536)]
    public void Echoes_every_byte_unchanged_whatever_the_chunking(int chunkSize)
    {
        var data = new byte[100_000];
        new Random(7).NextBytes(data);
        var transport = new StringTransport(new EchoProtocol(), new ServerOptions { MaxPendingBytes = data.Length });

        for (int offset = 0; offset < data.Length; offset += chunkSize)
            transport.Receive(data.AsSpan(offset, Math.Min(chunkSize, data.Length - offset)));

        Assert.Equal(data, transport.TakeSent());
    }
}
