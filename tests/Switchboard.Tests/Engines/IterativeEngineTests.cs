using Switchboard.Protocols;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

public sealed class IterativeEngineTests : EngineConformanceTests
{
    protected override string EngineName => "iterative";

    [Fact]
    public async Task The_next_client_waits_in_the_backlog_until_the_current_one_leaves()
    {
        var server = Start(TestProtocol.Scripted);
        var first = await TestClient.ConnectAsync(server.LocalEndPoint);
        long firstId = await ReadHelloAsync(first);
        using var second = await TestClient.ConnectAsync(server.LocalEndPoint); // completes in the kernel's backlog
        await first.SendAsync("echo first is served\n");
        Assert.Equal("first is served", await first.ReadLineAsync());

        first.Dispose();
        await Probe.WaitForDisconnectAsync(firstId, DisconnectReason.RemoteClosed);

        Assert.Equal(firstId + 1, await ReadHelloAsync(second));
        Assert.Equal(1, Probe.MaxActiveConnections);
    }
}
