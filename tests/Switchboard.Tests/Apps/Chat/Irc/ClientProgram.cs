using System.Diagnostics;
using System.Text;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>
/// A real client program a test runs (ii, WeeChat) in a temporary directory of its own: what it
/// prints is kept for failure messages, waits on its files are bounded, and at the end it is
/// killed if still running and its directory deleted.
/// </summary>
internal sealed class ClientProgram : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly Process _process;
    private readonly StringBuilder _printed = new();

    private ClientProgram(string name, Process process, string directory)
    {
        Name = name;
        Directory = directory;
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The program's name in messages: "ii", "WeeChat".</summary>
    public string Name { get; }

    /// <summary>Its temporary directory, deleted at the end.</summary>
    public string Directory { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What it printed on its stdout and stderr.</summary>
    public string Printed
    {
        get
        {
            lock (_printed)
                return _printed.ToString();
        }
    }

    /// <summary><paramref name="name"/> on PATH, or null if it is not installed.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts <paramref name="start"/> (its output redirected here), owning <paramref name="directory"/>, which is deleted if it cannot start.</summary>
    public static ClientProgram Start(string name, ProcessStartInfo start, string directory)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        try
        {
            return new ClientProgram(name, Process.Start(start)!, directory);
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Fails the test if the program has exited, before it could be given <paramref name="what"/>.</summary>
    public void AssertRunning(string what, Func<string> output)
    {
        if (_process.HasExited)
            Assert.Fail($"{Name} exited (code {_process.ExitCode}) before it could be given '{what}'; its output:\n{output()}");
    }

    /// <summary>Polls <paramref name="condition"/> (a look at files: nothing to be told of) until it holds, for at most <see cref="Timeouts.Patient"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + Timeouts.Patient;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what()}" + (_process.HasExited ? $" ({Name} exited with code {_process.ExitCode})" : ""));
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Waits for the program to exit by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Timeouts.Patient);
        _process.WaitForExit(); // the redirected output, flushed
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(Timeouts.Patient);
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary directory: nothing a test depends on.
        }
    }

    private void Collect(string? line)
    {
        if (line is null)
            return;
        lock (_printed)
            _printed.AppendLine(line);
    }
}
