using Switchboard.Apps.Chat;
using Switchboard.Testing;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>One chat connection on a <see cref="StringTransport"/>: type lines, read what came back.</summary>
internal sealed class ChatUser
{
    public ChatUser(IChatHub hub, ChatOptions? options = null, TimeProvider? clock = null, ServerOptions? server = null)
    {
        Protocol = new ChatProtocol(hub, options ?? new ChatOptions(), clock);
        Transport = new StringTransport(Protocol, server ?? new ServerOptions { MaxLineLength = ChatOptions.DefaultMaxLineLength });
    }

    public ChatProtocol Protocol { get; }

    public StringTransport Transport { get; }

    public static ChatUser Named(IChatHub hub, string nick, ChatOptions? options = null, TimeProvider? clock = null)
    {
        var user = new ChatUser(hub, options, clock);
        user.Type($"/nick {nick}");
        user.Read();
        return user;
    }

    public void Type(string line) => Transport.Receive(line + "\n");

    /// <summary>The lines received since the last read.</summary>
    public string[] Read()
    {
        string text = Transport.TakeSentText();
        return text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');
    }
}
