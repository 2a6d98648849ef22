using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// A C program the bench keeps as source (under <c>bench/peers/</c>) and compiles itself: found
/// in the source tree, compiled with <c>cc -O2</c> into the bench's own folder on each run that
/// needs it. The C epoll peer and the C time and chat clients are three.
/// </summary>
/// <param name="title">What messages call it, e.g. "the C epoll peer".</param>
/// <param name="sourcePath">Its source, from the repository's root.</param>
/// <param name="builtName">The program's file name in the bench's folder.</param>
internal sealed class CProgram(string title, string sourcePath, string builtName)
{
    private static readonly TimeSpan CompileTimeout = TimeSpan.FromSeconds(60);

    /// <summary>What messages call it, e.g. "the C epoll peer".</summary>
    public string Title { get; } = title;

    /// <summary>Its source, from the repository's root.</summary>
    public string SourcePath { get; } = sourcePath;

    /// <summary>The program compiled, in the bench's own folder.</summary>
    public string BuiltPath => Path.Combine(AppContext.BaseDirectory, builtName);

    /// <summary>The source in the source tree: above the working directory, then above the bench; null if neither has it.</summary>
    public string? FindSource() => SourceTree.Find(root => Path.Combine(root, SourcePath) is var source && File.Exists(source) ? source : null);

    /// <summary>The command that compiles <paramref name="source"/>, as a user would type it.</summary>
    public string CompileCommand(string source) => string.Join(' ', ["cc", .. CompileArguments(BuiltPath, source)]);

    /// <summary>
    /// Why <paramref name="source"/> cannot be compiled here (no <c>cc</c> on PATH), ending with
    /// <paramref name="otherwise"/>, what else the user can do; null if it can be.
    /// </summary>
    public string? CannotCompile(string source, string otherwise) =>
        Compiler() is null
            ? $"{Title} is compiled with '{CompileCommand(source)}', and cc is not on PATH: install a C compiler (Debian/Ubuntu: sudo apt-get install gcc), or {otherwise}"
            : null;

    /// <summary>
    /// Compiles <paramref name="source"/> to <see cref="BuiltPath"/> (every time: it takes a
    /// fraction of a second, and an old build can never be run by mistake), through a temporary
    /// file renamed into place, so that two benches compiling at once never run a half-written
    /// program. Throws <see cref="BenchException"/> with a one-line reason if it cannot.
    /// </summary>
    public string Compile(string source)
    {
        string cc = Compiler() ?? throw new BenchException($"{Title} is compiled with '{CompileCommand(source)}', and cc is not on PATH");
        string temporary = $"{BuiltPath}.{Environment.ProcessId}.tmp";
        var start = new ProcessStartInfo(cc) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in CompileArguments(temporary, source))
            start.ArgumentList.Add(argument);
        try
        {
            using var compiler = Process.Start(start) ?? throw new BenchException($"cannot start '{CompileCommand(source)}'");
            var stdout = compiler.StandardOutput.ReadToEndAsync();
            var stderr = compiler.StandardError.ReadToEndAsync();
            if (!compiler.WaitForExit(CompileTimeout))
            {
                compiler.Kill();
                throw new BenchException($"'{CompileCommand(source)}' did not finish within {CompileTimeout.TotalSeconds:0} s");
            }

            compiler.WaitForExit();
            if (compiler.ExitCode != 0)
            {
                string said = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? stdout.Result.Trim();
                throw new BenchException($"compiling {Title} failed: '{CompileCommand(source)}' exited with {compiler.ExitCode}: {said}");
            }

            File.Move(temporary, BuiltPath, overwrite: true);
            return BuiltPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            throw new BenchException($"compiling {Title} failed: '{CompileCommand(source)}': {e.Message}");
        }
        finally
        {
            File.Delete(temporary); // gone already when it was moved into place
        }
    }

    private static string[] CompileArguments(string output, string source) => ["-O2", "-o", output, source];

    /// <summary><c>cc</c> on PATH, or null.</summary>
    private static string? Compiler() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "cc"))
        .FirstOrDefault(candidate => File.Exists(candidate) && (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0);
}

/// <summary>The clone the bench runs from: what it finds above the working directory (the clone the user is in), then above the bench's own folder.</summary>
internal static class SourceTree
{
    /// <summary>The first non-null <paramref name="inTree"/> of a folder above the working directory, then above the bench; null if none.</summary>
    public static string? Find(Func<string, string?> inTree) =>
        FindAbove(Environment.CurrentDirectory, inTree) ?? FindAbove(AppContext.BaseDirectory, inTree);

    private static string? FindAbove(string start, Func<string, string?> inTree)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (inTree(dir.FullName) is { } found)
                return found;
        }

        return null;
    }
}
