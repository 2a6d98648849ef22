using System.Net;
using Switchboard.Apps;
using Switchboard.Apps.Chat;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>A chat served twice over one hub, as <c>serve chat --irc-port</c> does: the line protocol and IRC.</summary>
internal sealed class IrcServers : IAsyncDisposable
{
    private readonly Server _lines;
    private readonly Server _irc;

    private IrcServers(Server lines, Server irc)
    {
        _lines = lines;
        _irc = irc;
    }

    public IPEndPoint Lines => _lines.LocalEndPoint;

    public IPEndPoint Irc => _irc.LocalEndPoint;

    public static IrcServers Start(string engine = "epoll", ChatOptions? chat = null, ServerOptions? options = null)
    {
        var app = new ChatApp();
        var context = new ServeContext
        {
            Options = options ?? new ServerOptions { MaxLineLength = ChatOptions.DefaultMaxLineLength },
            Settings = new AppSettings { Chat = chat ?? new ChatOptions { Rate = 1000, Burst = 1000 } },
        };
        var lines = app.CreateServer(EngineCatalog.Get(engine), context);
        var irc = app.CreateIrcServer(EngineCatalog.Get(engine), context, new IPEndPoint(IPAddress.Loopback, 0));
        lines.Start();
        irc.Start();
        return new IrcServers(lines, irc);
    }

    /// <summary>A line-protocol user, named and in the lobby.</summary>
    public async Task<TestClient> LineUserAsync(string nick)
    {
        var user = await TestClient.ConnectAsync(Lines);
        await user.SendAsync($"/nick {nick}\n");
        await user.ReadUntilAsync($"*** you are {nick}, in #lobby");
        return user;
    }

    public async ValueTask DisposeAsync()
    {
        await _irc.StopAsync().WaitAsync(Timeouts.Patient);
        await _lines.StopAsync().WaitAsync(Timeouts.Patient);
    }
}
