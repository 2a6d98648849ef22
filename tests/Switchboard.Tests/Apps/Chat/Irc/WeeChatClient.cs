using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>
/// The real IRC client WeeChat, its headless program (<c>weechat-headless</c>), run as a child
/// process with a fresh temporary directory as its home, so it reads no one's configuration and
/// writes none. It loads only the irc, logger and fifo plugins (no scripts, nothing that reaches
/// the network) and knows one server, <c>sb</c>: the one under test. Commands go to its fifo
/// plugin's pipe (<c>HOME/weechat_fifo_PID</c>), as <c>BUFFER *TEXT</c> lines; what it shows
/// comes back through its logger plugin, one file per buffer under <c>HOME/logs</c>
/// (<c>irc.sb.#lobby.weechatlog</c>...), written at once (<c>logger.file.flush_delay 0</c>).
/// </summary>
internal sealed class WeeChatClient : IDisposable
{
    /// <summary>The name WeeChat knows the server under test by: its buffers are <c>irc.server.sb</c>, <c>irc.sb.#lobby</c>...</summary>
    public const string ServerName = "sb";

    private readonly ClientProgram _program;
    private FileStream? _fifo;

    private WeeChatClient(ClientProgram program) => _program = program;

    /// <summary>The weechat-headless program on PATH, or null if it is not installed.</summary>
    public static string? Program { get; } = ClientProgram.FindOnPath("weechat-headless");

    /// <summary>
    /// True if WeeChat's fifo plugin is installed where this machine's WeeChat looks for plugins
    /// (Debian ships it apart, in <c>weechat-plugins</c>).
    /// </summary>
    public static bool HasFifoPlugin { get; } = FindFifoPlugin();

    /// <summary>Where WeeChat writes each buffer's log.</summary>
    public string LogDirectory => Path.Combine(_program.Directory, "logs");

    /// <summary>
    /// For failure messages: what WeeChat printed on its stdout and stderr, its own log
    /// (<c>weechat.log</c>), and its core buffer's, where it reports a command it could not run.
    /// </summary>
    public string Output
    {
        get
        {
            return $"{_program.Printed}\nweechat.log:\n{ReadOrNone(Path.Combine(_program.Directory, "weechat.log"))}\n"
                + $"core buffer:\n{ReadOrNone(LogPath("core.weechat"))}";
        }
    }

    /// <summary>
    /// Starts WeeChat, tells it of the server at <paramref name="server"/> (no TLS, nick
    /// <paramref name="nick"/>) and has it connect. Capabilities are left as WeeChat negotiates
    /// them by default. Its anti-flood queue is turned off, so each command goes out as it is given.
    /// </summary>
    public static WeeChatClient Start(IPEndPoint server, string nick)
    {
        ArgumentNullException.ThrowIfNull(server);
        string program = Program ?? throw new InvalidOperationException("weechat-headless is not installed");
        string home = Directory.CreateTempSubdirectory("switchboard-weechat-").FullName;
        string address = string.Create(CultureInfo.InvariantCulture, $"{server.Address}/{server.Port}");
        string[] commands =
        [
            "/set weechat.startup.display_logo off",
            "/set weechat.startup.display_version off",
            $"/set logger.file.path {Path.Combine(home, "logs")}",
            "/set logger.file.flush_delay 0",
            "/set fifo.file.enabled on",
            // Who is in a channel (353) shown on joining, beside the count (366).
            "/set irc.look.display_join_message 329,332,333,353,366",
            $"/server add {ServerName} {address} -notls -nicks={nick} -username={nick} -realname={nick}",
            $"/set irc.server.{ServerName}.anti_flood_prio_high 0",
            $"/set irc.server.{ServerName}.anti_flood_prio_low 0",
            $"/set irc.server.{ServerName}.autoreconnect off",
            $"/connect {ServerName}",
        ];
        var start = new ProcessStartInfo(program);
        start.Environment["LC_ALL"] = "C.UTF-8"; // WeeChat wants a UTF-8 locale
        start.Environment["TZ"] = "UTC";
        foreach (string arg in new[] { "--dir", home, "--plugins", "irc,logger,fifo", "--run-command", string.Join(';', commands) })
            start.ArgumentList.Add(arg);
        return new WeeChatClient(ClientProgram.Start("WeeChat", start, home));
    }

    /// <summary>
    /// Runs <paramref name="text"/> (a <c>/command</c> or words to say) in <paramref name="buffer"/>
    /// (<c>irc.server.sb</c>, <c>irc.sb.#lobby</c>...), through the fifo plugin. The pipe is opened
    /// once and kept open, so WeeChat never reads its end and reopens it between two commands.
    /// </summary>
    public async Task RunAsync(string buffer, string text)
    {
        _program.AssertRunning(text, () => Output);
        if (_fifo is null)
        {
            string path = Path.Combine(_program.Directory, $"weechat_fifo_{_program.Id}");
            await _program.WaitUntilAsync(() => File.Exists(path), () => $"{path} to exist");
            _fifo = await Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
                .WaitAsync(Timeouts.Quick);
        }

        byte[] bytes = Encoding.UTF8.GetBytes($"{buffer} *{text}\n");
        await _fifo.WriteAsync(bytes).AsTask().WaitAsync(Timeouts.Quick);
    }

    /// <summary>The lines of <paramref name="buffer"/>'s log so far, each as its prefix (a nick, <c>--</c>, <c>--&gt;</c>...) and its message; none if there is no log yet.</summary>
    public IReadOnlyList<LogLine> LogLines(string buffer)
    {
        string text;
        try
        {
            text = File.ReadAllText(LogPath(buffer));
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }

        // "DATE TIME\tPREFIX\tMESSAGE"; a line still being written has no '\n' yet: left for the next look.
        string[] lines = text.Split('\n');
        var result = new List<LogLine>();
        foreach (string line in lines.Take(lines.Length - 1))
        {
            string[] fields = line.Split('\t', 3);
            result.Add(fields.Length == 3 ? new LogLine(fields[1], fields[2]) : new LogLine("", line));
        }

        return result;
    }

    /// <summary>Re-reads <paramref name="buffer"/>'s log until it has the line <paramref name="prefix"/> <paramref name="message"/>; fails after <see cref="Timeouts.Patient"/>.</summary>
    public Task<LogLine> WaitForLogLineAsync(string buffer, string prefix, string message) =>
        WaitForLogLineAsync(buffer, l => l.Prefix == prefix && l.Message == message, $"'{prefix}\t{message}'");

    /// <summary>Re-reads <paramref name="buffer"/>'s log until a line matches; fails after <see cref="Timeouts.Patient"/>.</summary>
    public async Task<LogLine> WaitForLogLineAsync(string buffer, Func<LogLine, bool> match, string what)
    {
        LogLine? found = null;
        await _program.WaitUntilAsync(
            () => (found = LogLines(buffer).FirstOrDefault(match)) is not null,
            () => $"{what} in {LogPath(buffer)}; it holds:\n{string.Join('\n', LogLines(buffer))}\nWeeChat's output:\n{Output}");
        return found!;
    }

    /// <summary>Waits for WeeChat to exit by itself (after <c>/quit</c>); returns its exit code.</summary>
    public Task<int> WaitForExitAsync() => _program.WaitForExitAsync();

    public void Dispose()
    {
        _program.Dispose(); // WeeChat killed first: the pipe's writing end then has nothing to wait for
        try
        {
            _fifo?.Dispose();
        }
        catch (IOException)
        {
            // The reader is gone: nothing was left to write.
        }
    }

    private static string ReadOrNone(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "(none)";
        }
    }

    /// <summary>The logger's file for a buffer: its full name, in lower case.</summary>
    private string LogPath(string buffer) => Path.Combine(LogDirectory, buffer.ToLowerInvariant() + ".weechatlog");

    /// <summary>Looks for fifo.so where distributions put WeeChat's plugins (/usr/lib/weechat/plugins, /usr/lib/ARCH/weechat/plugins, the same under /usr/local).</summary>
    private static bool FindFifoPlugin()
    {
        foreach (string lib in new[] { "/usr/lib", "/usr/lib64", "/usr/local/lib" })
        {
            if (!Directory.Exists(lib))
                continue;
            if (File.Exists(Path.Combine(lib, "weechat", "plugins", "fifo.so")))
                return true;
            if (Directory.EnumerateDirectories(lib).Any(arch => File.Exists(Path.Combine(arch, "weechat", "plugins", "fifo.so"))))
                return true;
        }

        return false;
    }

    /// <summary>One line of a buffer's log: who or what it is from (a nick, <c>--</c>, <c>--&gt;</c>, <c> *</c>...) and what it says.</summary>
    internal sealed record LogLine(string Prefix, string Message)
    {
        public override string ToString() => $"{Prefix}\t{Message}";
    }
}

/// <summary>A test that runs the real WeeChat; skipped, saying so, where it or its fifo plugin is not installed.</summary>
public sealed class WeeChatFactAttribute : FactAttribute
{
    public WeeChatFactAttribute()
    {
        if (WeeChatClient.Program is null)
            Skip = "needs the IRC client WeeChat's weechat-headless on PATH (test.sh installs it: apt-get install weechat-headless weechat-plugins)";
        else if (!WeeChatClient.HasFifoPlugin)
            Skip = "needs WeeChat's fifo plugin, fifo.so (test.sh installs it: apt-get install weechat-plugins)";
    }
}
