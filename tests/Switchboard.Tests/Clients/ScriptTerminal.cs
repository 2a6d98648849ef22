using System.Diagnostics;
using System.Text;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Clients;

/// <summary>
/// A shell command run on a pseudo-terminal by util-linux's <c>script</c>: what is written here
/// is typed at that terminal (so Ctrl-C, <c>\x03</c>, interrupts its foreground process), and
/// everything the terminal shows, echo included, is collected.
/// </summary>
internal sealed class ScriptTerminal : IDisposable
{
    public const string ScriptPath = "/usr/bin/script";

    private readonly Process _process;
    private readonly EventLog<string> _chunks = new();
    private readonly Task _reading;

    private ScriptTerminal(Process process)
    {
        _process = process;
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>Runs <paramref name="command"/> with <c>bash -c</c> on a new terminal, 200 columns wide.</summary>
    public static ScriptTerminal Start(string command)
    {
        var start = new ProcessStartInfo(ScriptPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // script runs the command with $SHELL -c, or /bin/sh (dash on Debian) if SHELL is unset, as
        // on a fresh CI machine. A non-interactive dash waiting for its foreground command dies of
        // the terminal's Ctrl-C itself, before "echo EXIT=$?"; bash, like an interactive shell,
        // waits and goes on when the command handled the signal and exited. So: bash, always.
        start.Environment["SHELL"] = "/bin/bash";
        // -q: no "Script started" banner; -f: flush at once; -e: exit with the command's code; -c: the command.
        start.ArgumentList.Add("-qfec");
        start.ArgumentList.Add($"stty cols 200 rows 50; {command}");
        start.ArgumentList.Add("/dev/null");
        return new ScriptTerminal(Process.Start(start)!);
    }

    /// <summary>The command line that runs the real <c>switchboard</c> with <paramref name="args"/>, quoted for sh.</summary>
    public static string Switchboard(params string[] args) =>
        string.Join(' ', new[] { CliProcess.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "switchboard.dll") }.Concat(args).Select(Quote));

    /// <summary>Everything shown so far.</summary>
    public string Output => string.Concat(_chunks.Snapshot());

    /// <summary>Types <paramref name="keys"/> at the terminal.</summary>
    public async Task TypeAsync(string keys)
    {
        await _process.StandardInput.WriteAsync(keys);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits until what was shown satisfies <paramref name="condition"/>.</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> condition, string what)
    {
        try
        {
            var chunks = await _chunks.WaitUntilAsync(c => condition(string.Concat(c)), Timeouts.Patient, what);
            return string.Concat(chunks);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out waiting for {what}; the terminal showed: {Visible(Output)}");
            throw;
        }
    }

    /// <summary>Waits for the command to end; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Timeouts.Patient);
        await _reading.WaitAsync(Timeouts.Patient);
        return _process.ExitCode;
    }

    /// <summary><paramref name="text"/> with control characters spelled out, for failure messages.</summary>
    public static string Visible(string text) =>
        text.Replace("\x1b", "\\e", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(Timeouts.Patient);
        }

        _process.Dispose();
    }

    private async Task ReadAsync()
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[4096];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        int n;
        while ((n = await _process.StandardOutput.BaseStream.ReadAsync(bytes)) > 0)
        {
            int count = decoder.GetChars(bytes, 0, n, chars, 0);
            _chunks.Add(new string(chars, 0, count));
        }
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>A test that needs <c>script</c> (util-linux) to give the client a terminal; skipped, saying so, where it is missing.</summary>
public sealed class TerminalFactAttribute : FactAttribute
{
    public TerminalFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "needs a Linux pseudo-terminal (the client's character mode is Linux-only)";
        else if (!File.Exists(ScriptTerminal.ScriptPath))
            Skip = $"needs {ScriptTerminal.ScriptPath} from util-linux to run the client on a terminal (apt-get install util-linux)";
    }
}
