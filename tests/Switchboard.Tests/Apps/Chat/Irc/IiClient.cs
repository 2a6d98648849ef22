using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>
/// The real IRC client <c>ii</c> (suckless), run as a child process in a fresh directory of its
/// own. ii keeps its conversation in files: <c>DIR/HOST/in</c> is a FIFO whose lines go to the
/// server (<c>/j</c>, <c>/n</c>, <c>/q</c>... or raw IRC after a <c>/</c>), <c>DIR/HOST/out</c>
/// collects what the server says to no channel, and each channel or private conversation gets
/// <c>DIR/HOST/NAME/in</c> and <c>out</c> alike. Every line ii writes to an <c>out</c> file starts
/// with the time it was written.
/// </summary>
internal sealed partial class IiClient : IDisposable
{
    private readonly ClientProgram _program;

    private IiClient(ClientProgram program, string host)
    {
        _program = program;
        ServerDirectory = Path.Combine(program.Directory, host);
    }

    /// <summary>The ii program on PATH, or null if it is not installed.</summary>
    public static string? Program { get; } = ClientProgram.FindOnPath("ii");

    /// <summary>Where ii keeps this server's files: <c>in</c>, <c>out</c> and a directory for each channel or query.</summary>
    public string ServerDirectory { get; }

    /// <summary>What ii printed on its stdout and stderr (it echoes its login and every line it reads from the server).</summary>
    public string Output => _program.Printed;

    /// <summary>Starts <c>ii -s ADDRESS -p PORT -n NICK -i DIR</c>, DIR a new temporary directory.</summary>
    public static IiClient Start(IPEndPoint server, string nick)
    {
        string program = Program ?? throw new InvalidOperationException("ii is not installed");
        string root = Directory.CreateTempSubdirectory("switchboard-ii-").FullName;
        string host = server.Address.ToString();
        var start = new ProcessStartInfo(program);
        foreach (string arg in new[] { "-s", host, "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", nick, "-i", root })
            start.ArgumentList.Add(arg);
        return new IiClient(ClientProgram.Start("ii", start, root), host);
    }

    /// <summary>
    /// Writes <paramref name="line"/> to the <c>in</c> FIFO of <paramref name="channel"/> (the
    /// server's own for null), waiting for ii to have made it. ii reads the FIFO all the time it
    /// runs, so opening it for writing does not block for long; the open is bounded all the same.
    /// </summary>
    public async Task SendAsync(string? channel, string line)
    {
        string fifo = Path.Combine(DirectoryOf(channel), "in");
        _program.AssertRunning(line, () => Output);
        await _program.WaitUntilAsync(() => File.Exists(fifo), () => $"{fifo} to exist");
        byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
        await Task.Run(() =>
        {
            using var stream = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            stream.Write(bytes);
        }).WaitAsync(Timeouts.Quick);
    }

    /// <summary>
    /// The complete lines of <paramref name="channel"/>'s <c>out</c> file (the server's own for
    /// null), each without its leading time; none if the file is not there yet.
    /// </summary>
    public IReadOnlyList<string> OutLines(string? channel)
    {
        string path = Path.Combine(DirectoryOf(channel), "out");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }

        // A line ii is still writing has no '\n' yet: left for the next look.
        string[] lines = text.Split('\n');
        return [.. lines.Take(lines.Length - 1).Select(l => TimeStamp().Replace(l, "", 1))];
    }

    /// <summary>Re-reads <paramref name="channel"/>'s <c>out</c> file until a line equals <paramref name="expected"/>; fails after <see cref="Timeouts.Patient"/>.</summary>
    public Task WaitForOutLineAsync(string? channel, string expected) =>
        WaitForOutLineAsync(channel, l => l == expected, $"'{expected}'");

    /// <summary>Re-reads <paramref name="channel"/>'s <c>out</c> file until a line matches <paramref name="pattern"/>; fails after <see cref="Timeouts.Patient"/>.</summary>
    public Task WaitForOutLineAsync(string? channel, Regex pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return WaitForOutLineAsync(channel, pattern.IsMatch, $"a line matching /{pattern}/");
    }

    /// <summary>Waits for ii to exit by itself (after <c>/q</c>); returns its exit code.</summary>
    public Task<int> WaitForExitAsync() => _program.WaitForExitAsync();

    public void Dispose() => _program.Dispose();

    private Task WaitForOutLineAsync(string? channel, Func<string, bool> match, string what) =>
        _program.WaitUntilAsync(
            () => OutLines(channel).Any(match),
            () => $"{what} in {Path.Combine(DirectoryOf(channel), "out")}; it holds:\n{string.Join('\n', OutLines(channel))}\nii's output:\n{Output}");

    /// <summary>ii names a channel's directory after the channel, in lower case.</summary>
    private string DirectoryOf(string? channel) =>
        channel is null ? ServerDirectory : Path.Combine(ServerDirectory, channel.ToLowerInvariant());

    /// <summary>The time ii puts before each line: seconds since 1970 (ii 1.8), or a date and minute (later versions).</summary>
    [GeneratedRegex(@"^(\d+|\d{4}-\d\d-\d\d \d\d:\d\d) ")]
    private static partial Regex TimeStamp();
}

/// <summary>A test that runs the real <c>ii</c>; skipped, saying so, where it is not installed.</summary>
public sealed class IiFactAttribute : FactAttribute
{
    public IiFactAttribute()
    {
        if (IiClient.Program is null)
            Skip = "needs the IRC client ii on PATH (test.sh installs it: apt-get install ii)";
    }
}
