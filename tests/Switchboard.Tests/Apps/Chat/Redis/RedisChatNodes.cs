using System.Net;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>
/// The Redis hub's tests start several real server processes and a redis-server each: on a small
/// machine they run alone, one at a time, so a node's heartbeat is never starved by another test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisChatRunsAlone
{
    public const string Name = "redis-chat";
}

/// <summary>One <c>switchboard serve chat --hub</c> process pointed at a test's Redis.</summary>
internal sealed class ChatNode : IDisposable
{
    private readonly IPEndPoint? _irc;

    private ChatNode(CliProcess process, IPEndPoint endPoint, IPEndPoint? irc)
    {
        Process = process;
        EndPoint = endPoint;
        _irc = irc;
    }

    public CliProcess Process { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>Where the node speaks IRC: started with <c>--irc-port</c>.</summary>
    public IPEndPoint Irc => _irc ?? throw new InvalidOperationException("this node was started without --irc-port");

    /// <summary>
    /// Starts a node on a free port, without flood control (so the tests' bursts are not paced),
    /// on the async engine unless <paramref name="extra"/> names another, and waits until it listens
    /// (on both ports if <paramref name="extra"/> has <c>--irc-port</c>).
    /// </summary>
    public static async Task<ChatNode> StartAsync(RedisServer redis, params string[] extra)
    {
        List<string> args = ["serve", "chat", "--port", "0", "--hub", redis.Url, "--rate", "1000", "--connect-rate", "0"];
        if (!extra.Contains("--engine"))
            args.AddRange(["--engine", "async"]);
        args.AddRange(extra);
        var process = CliProcess.Start([.. args]);
        try
        {
            var (endPoint, _) = await process.ReadListeningLineAsync();
            var irc = extra.Contains("--irc-port") ? await process.ReadIrcListeningLineAsync() : null;
            return new ChatNode(process, endPoint, irc);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Connects a client, names it <paramref name="nick"/> and waits until it is in #lobby.</summary>
    public Task<Chatter> JoinAsync(string nick) => Chatter.ConnectAsync(EndPoint, nick);

    /// <summary>Connects a client that has not chosen a name (the welcome line already read).</summary>
    public Task<Chatter> ConnectAsync() => Chatter.ConnectAsync(EndPoint, null);

    /// <summary>kill -9: the node cannot say goodbye to Redis; waits until it is gone.</summary>
    public async Task KillAsync()
    {
        Assert.True(CliProcess.Signal(Process.Pid, 9), $"cannot kill node {Process.Pid}");
        await Process.WaitForExitAsync();
    }

    public void Dispose() => Process.Dispose();
}

/// <summary>A chat client that reads, with a bound, until a line it expects; it keeps every line it read.</summary>
internal sealed class Chatter : IDisposable
{
    private readonly TestClient _client;
    private readonly List<string> _seen = [];

    private Chatter(TestClient client) => _client = client;

    /// <summary>Every line read so far, in order.</summary>
    public IReadOnlyList<string> Seen => _seen;

    public static async Task<Chatter> ConnectAsync(IPEndPoint endPoint, string? nick)
    {
        var chatter = new Chatter(await TestClient.ConnectAsync(endPoint));
        try
        {
            await chatter.ReadUntilAsync(l => l.StartsWith("*** welcome", StringComparison.Ordinal), "the welcome");
            if (nick is not null)
            {
                await chatter.SendAsync("/nick " + nick);
                await chatter.ReadUntilAsync($"*** you are {nick}, in #lobby");
            }

            return chatter;
        }
        catch
        {
            chatter.Dispose();
            throw;
        }
    }

    public Task SendAsync(string line) => _client.SendAsync(line + "\n");

    /// <summary>Sends many lines in one write.</summary>
    public Task SendLinesAsync(IEnumerable<string> lines) => _client.SendAsync(string.Concat(lines.Select(l => l + "\n")));

    /// <summary>Reads until a line equal to <paramref name="expected"/>; returns the lines read, that one last.</summary>
    public Task<List<string>> ReadUntilAsync(string expected, TimeSpan? within = null) =>
        ReadUntilAsync(l => l == expected, $"'{expected}'", within);

    /// <summary>
    /// Reads until a line matching <paramref name="match"/> arrives, within <paramref name="within"/>
    /// (Timeouts.Patient) in all; returns the lines read, the matching one last. Fails, saying what
    /// it read, on a timeout or the end of the connection.
    /// </summary>
    public async Task<List<string>> ReadUntilAsync(Func<string, bool> match, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Timeouts.Patient);
        var read = new List<string>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            string? line = null;
            bool timedOut = left <= TimeSpan.Zero;
            if (!timedOut)
            {
                try
                {
                    line = await _client.ReadLineAsync(left);
                }
                catch (OperationCanceledException)
                {
                    timedOut = true;
                }
            }

            if (timedOut)
                Assert.Fail($"no {what} within {within ?? Timeouts.Patient}; read meanwhile ({read.Count} lines): {Tail(read)}");
            if (line is null)
                Assert.Fail($"connection closed before {what}; read meanwhile ({read.Count} lines): {Tail(read)}");
            read.Add(line);
            _seen.Add(line);
            if (match(line))
                return read;
        }
    }

    /// <summary>Reads until <paramref name="count"/> lines matching <paramref name="match"/> have arrived; returns those lines.</summary>
    public async Task<List<string>> ReadMatchingAsync(Func<string, bool> match, int count, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Timeouts.Patient);
        var found = new List<string>();
        while (found.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                Assert.Fail($"only {found.Count} of {count} {what} within {within ?? Timeouts.Patient}; last: {Tail(found)}");
            var lines = await ReadUntilAsync(match, $"{what} #{found.Count + 1} of {count} (have {found.Count}: {Tail(found)})", left);
            found.Add(lines[^1]);
        }

        return found;
    }

    /// <summary>True if the server closes the connection within the bound.</summary>
    public Task<bool> WaitForCloseAsync() => _client.WaitForCloseAsync(Timeouts.Patient);

    public void Dispose() => _client.Dispose();

    private static string Tail(List<string> lines) =>
        string.Join(" | ", lines.Count <= 30 ? lines : [$"...{lines.Count - 30} earlier", .. lines[^30..]]);
}
