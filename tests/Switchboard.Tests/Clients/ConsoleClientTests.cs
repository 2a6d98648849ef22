using System.Net;
using System.Net.Sockets;
using Switchboard.Clients;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Clients;

public sealed class ConsoleClientTests
{
    [Theory]
    [InlineData(ClientWaitMode.Poll)]
    [InlineData(ClientWaitMode.Select)]
    [InlineData(ClientWaitMode.Async)]
    public async Task Spins_while_waiting_and_clears_the_spinner_before_each_line(ClientWaitMode mode)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener.LocalEndPoint!);
        using var accepted = await listener.AcceptAsync();
        var output = new StringWriter();
        var client = new ConsoleClient(socket, mode, output, spinner: true, readStdin: false);

        var run = Task.Run(() => client.RunAsync(CancellationToken.None)); // poll and select waits are synchronous
        await WaitForAsync(() => output.ToString().Contains("..|.......", StringComparison.Ordinal)); // three ticks spun
        accepted.Send("two\nlines\n"u8);
        await WaitForAsync(() => output.ToString().Contains("Received: lines", StringComparison.Ordinal));
        accepted.Shutdown(SocketShutdown.Both);

        Assert.Equal(ClientOutcome.RemoteClosed, await run.WaitAsync(Timeouts.Patient));
        string text = output.ToString();
        Assert.StartsWith("\r|......... \r.|........ \r..|....... ", text, StringComparison.Ordinal);
        Assert.Contains("\r\x1b[KReceived: two\nReceived: lines\n\r", text, StringComparison.Ordinal); // the spinner wiped, whatever its width, and drawn again after
        Assert.EndsWith("Remote end closed connection; exiting.\n", text, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeouts.Quick;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }
}
