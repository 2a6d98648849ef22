using System.Net;
using System.Security.Cryptography;
using Switchboard.Apps;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// What the uring engine does beyond the conformance suite: a multishot receive takes whatever
/// arrives with no readiness step, so the engine itself must stop receiving while a connection's
/// output backs up, and send it all (gathered) each turn.
/// </summary>
public sealed class UringFlowTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // as on kernels before 6.12
    public async Task A_peer_that_sends_far_faster_than_its_output_limit_but_reads_gets_everything_echoed(bool wholeReceiveBuffers)
    {
        // 32 MiB through an echo whose output limit is the default 1 MiB: the server must pause
        // receiving rather than queue what it cannot send yet (before it did, this one was
        // dropped as a slow consumer within milliseconds).
        await using var server = new Server(new UringEngine { Loops = 1, WholeReceiveBuffers = wholeReceiveBuffers }, new ServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, () => new EchoProtocol());
        server.Start();
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var data = new byte[32 * 1024 * 1024];
        new Random(17).NextBytes(data);

        var sending = Task.Run(() => client.SendAsync(data));
        byte[] echoed = await client.ReadExactlyAsync(data.Length, Timeouts.Patient);
        await sending;

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(echoed));
        Assert.Equal(1, server.ConnectionCount);
    }
}
