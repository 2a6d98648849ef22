using System.Net;
using System.Net.Sockets;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>A node that cannot reach Redis does not start.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisStartupTests
{
    [Fact]
    public async Task Unreachable_redis_is_one_line_on_stderr_and_exit_code_1()
    {
        // A port that was free a moment ago: nothing listens there.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, stdout, stderr) = await CliProcess.RunAsync(
            "serve", "chat", "--port", "0", "--hub", $"redis://127.0.0.1:{port}", "--rate", "1000", "--connect-rate", "0");

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"stderr should be one line, was:\n{stderr}");
        Assert.StartsWith("switchboard: cannot reach redis at", lines[0], StringComparison.Ordinal);
    }
}
