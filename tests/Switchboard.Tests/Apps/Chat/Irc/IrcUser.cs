using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>A raw IRC client over a real socket: sends lines with <c>\r\n</c>, reads lines and checks each ends in <c>\r\n</c>.</summary>
internal sealed class IrcUser : IDisposable
{
    private readonly TestClient _client;
    private readonly List<string> _seen = [];

    private IrcUser(TestClient client) => _client = client;

    /// <summary>Every line read so far, in order, without line ends.</summary>
    public IReadOnlyList<string> Seen => _seen;

    public static async Task<IrcUser> ConnectAsync(IPEndPoint endPoint) => new(await TestClient.ConnectAsync(endPoint));

    /// <summary>Connects and registers as <paramref name="nick"/> (NICK, USER), reading up to the end of the welcome (422).</summary>
    public static async Task<IrcUser> RegisterAsync(IPEndPoint endPoint, string nick)
    {
        var user = await ConnectAsync(endPoint);
        await user.SendAsync($"NICK {nick}", $"USER {nick} 0 * :{nick} the tester");
        await user.ExpectAsync($@"^:switchboard 422 {nick} ");
        return user;
    }

    public Task SendAsync(params string[] lines) => _client.SendAsync(string.Concat(lines.Select(l => l + "\r\n")));

    public Task SendRawAsync(string text) => _client.SendAsync(text);

    /// <summary>The next line, without its <c>\r\n</c>; null at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync()
    {
        string? line = await _client.ReadLineAsync(Timeouts.Patient);
        if (line is null)
            return null;
        Assert.True(line.EndsWith('\r'), $"an IRC line must end in \\r\\n: '{line}'");
        line = line[..^1];
        _seen.Add(line);
        return line;
    }

    /// <summary>Reads lines until one matches <paramref name="pattern"/>; returns it. Fails at the end of the stream.</summary>
    public async Task<string> ExpectAsync(string pattern)
    {
        var regex = new Regex(pattern);
        int from = _seen.Count;
        while (await ReadLineAsync() is { } line)
        {
            if (regex.IsMatch(line))
                return line;
        }

        Assert.Fail($"closed before a line matching {pattern}; saw: {string.Join(" | ", _seen.Skip(from))}");
        return "";
    }

    /// <summary>The next line, which must be exactly <paramref name="expected"/>.</summary>
    public async Task NextIsAsync(string expected) => Assert.Equal(expected, await ReadLineAsync());

    /// <summary>
    /// Sends a PING and reads up to its PONG; returns the lines before it. What the server had to
    /// say before the PING is all there: it answers one client's lines in order.
    /// </summary>
    public async Task<List<string>> SyncAsync(string token = "sync")
    {
        await SendAsync($"PING :{token}");
        var before = new List<string>();
        while (await ReadLineAsync() is { } line)
        {
            if (line == $":switchboard PONG switchboard :{token}")
                return before;
            before.Add(line);
        }

        Assert.Fail($"closed before the PONG; saw: {string.Join(" | ", before)}");
        return before;
    }

    public Task<bool> WaitForCloseAsync() => _client.WaitForCloseAsync(Timeouts.Patient);

    public void Dispose() => _client.Dispose();
}
