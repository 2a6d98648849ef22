using System.Globalization;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// A second server on a port that a first one serves must fail, not share it: SO_REUSEPORT (which
/// .NET's ReuseAddress also sets on Linux) would let the kernel split the clients between the two.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class PortInUseTests
{
    public static TheoryData<string> Engines => [.. Switchboard.Engines.EngineCatalog.All.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_second_server_on_the_same_port_is_refused_whatever_the_engines(string engine)
    {
        using var first = CliProcess.Start("serve", "echo", "--port", "0", "--engine", engine);
        var (endPoint, _) = await first.ReadListeningLineAsync();
        string port = endPoint.Port.ToString(CultureInfo.InvariantCulture);

        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", port, "--engine", engine);

        Assert.True(code == 1, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Equal($"switchboard: cannot listen on 127.0.0.1:{port}: address already in use\n", stderr.ReplaceLineEndings("\n"));
        first.Terminate();
        Assert.Equal(0, await first.WaitForExitAsync());
    }
}
