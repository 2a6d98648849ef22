using System.Net;
using System.Net.Sockets;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// systemd socket activation, with Debian's <c>systemd-socket-activate</c> as the service
/// manager: it listens, and starts <c>serve</c> with the socket as descriptor 3 when the first
/// client connects; serve takes that socket instead of binding, on every engine, and the first
/// client (waiting in its backlog) is served.
/// </summary>
public sealed class SocketActivationTests
{
    private const string Activate = "/usr/bin/systemd-socket-activate";

    public static TheoryData<string> Engines() => [.. Switchboard.Engines.EngineCatalog.All.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Serve_takes_the_socket_passed_to_it_on_every_engine(string engine)
    {
        Assert.True(File.Exists(Activate), $"{Activate} is missing: ./test.sh installs it (Debian package systemd)");
        var address = new IPEndPoint(IPAddress.Loopback, ManagedSockets.FreePort());
        using var cli = CliProcess.StartThrough([Activate, "-l", address.ToString()], "serve", "echo", "--engine", engine, "--port", "0");

        // The manager listens first: this client's connection is what starts serve.
        using (var client = await ManagedSockets.ConnectWhenListeningAsync(address))
            await client.AssertEchoesAsync("activated"); // closed after: iterative serves one at a time

        var (endPoint, line) = await cli.ReadListeningLineAsync();
        Assert.Equal(address, endPoint); // the passed socket, not --port 0
        Assert.EndsWith($"(echo, {engine})", line);
        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains($"Serving {address}, a socket passed by the service manager", StringComparison.Ordinal)));
        using var second = await TestClient.ConnectAsync(address);
        await second.AssertEchoesAsync("and the next");
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Chat_with_irc_takes_the_socket_named_irc_for_irc()
    {
        Assert.True(File.Exists(Activate), $"{Activate} is missing: ./test.sh installs it (Debian package systemd)");
        var chat = new IPEndPoint(IPAddress.Loopback, ManagedSockets.FreePort());
        var irc = new IPEndPoint(IPAddress.Loopback, ManagedSockets.FreePort());
        using var cli = CliProcess.StartThrough(
            [Activate, "-l", irc.ToString(), "-l", chat.ToString(), "--fdname", "irc:chat"], "serve", "chat", "--port", "0", "--irc-port", "0");

        using var ircClient = await ManagedSockets.ConnectWhenListeningAsync(irc);
        await ircClient.SendAsync("NICK alice\r\nUSER alice 0 * :Alice\r\n");
        await ircClient.ReadUntilAsync(":switchboard 001 alice", prefix: true);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        Assert.Equal(chat, endPoint);
        Assert.Equal(irc, await cli.ReadIrcListeningLineAsync());
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task One_socket_is_the_apps_whatever_its_name()
    {
        Assert.True(File.Exists(Activate), $"{Activate} is missing: ./test.sh installs it (Debian package systemd)");
        var address = new IPEndPoint(IPAddress.Loopback, ManagedSockets.FreePort());
        using var cli = CliProcess.StartThrough([Activate, "-l", address.ToString(), "--fdname", "irc"], "serve", "echo", "--port", "0");

        using var client = await ManagedSockets.ConnectWhenListeningAsync(address);
        await client.AssertEchoesAsync("named irc, served as echo");
        Assert.Equal(address, (await cli.ReadListeningLineAsync()).EndPoint);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task More_sockets_than_serve_listens_on_is_one_line_and_exit_1()
    {
        Assert.True(File.Exists(Activate), $"{Activate} is missing: ./test.sh installs it (Debian package systemd)");
        var one = new IPEndPoint(IPAddress.Loopback, ManagedSockets.FreePort());
        var two = new IPEndPoint(IPAddress.Loopback, ManagedSockets.FreePort());
        using var cli = CliProcess.StartThrough([Activate, "-l", one.ToString(), "-l", two.ToString()], "serve", "echo", "--port", "0");
        using var client = await ManagedSockets.ConnectWhenListeningAsync(one);

        Assert.Equal(1, await cli.WaitForExitAsync());
        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x == "switchboard: socket activation: 2 sockets passed, but serve listens on 1 (give --irc-port for a second, IRC's)"));
    }
}
