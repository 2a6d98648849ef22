using System.Net;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>Where a real IRC client's test starts: the real program serving chat with IRC, and bob in #lobby on the line protocol.</summary>
internal static class RealClientScene
{
    /// <summary>
    /// Starts <c>serve chat --irc-port 0</c> and names bob on the line protocol; bob says
    /// <c>before you came</c>, so a client that joins #lobby later is shown it as history.
    /// </summary>
    public static async Task<(CliProcess Server, TestClient Bob, IPEndPoint Irc)> StartAsync()
    {
        var server = CliProcess.Start("serve", "chat", "--port", "0", "--irc-port", "0");
        try
        {
            var (lineEndPoint, _) = await server.ReadListeningLineAsync();
            var irc = await server.ReadIrcListeningLineAsync();
            var bob = await TestClient.ConnectAsync(lineEndPoint);
            await bob.SendAsync("/nick bob\n");
            await bob.ReadUntilAsync("*** you are bob, in #lobby");
            await bob.SendAsync("before you came\n/who\n");
            Assert.Equal("*** in #lobby: bob", await bob.ReadLineAsync());
            return (server, bob, irc);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }
}
