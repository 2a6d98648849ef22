using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// The <c>switchboard</c> program the bench starts its servers with (<c>switchboard serve ...</c>):
/// a <c>.dll</c>, run by the dotnet host, or an executable. By default the one built beside the
/// bench, which references the CLI project so that building one builds both.
/// </summary>
internal sealed class SwitchboardProgram(string path)
{
    /// <summary>The CLI's build output in the bench's own directory.</summary>
    public static string BesideTheBench => System.IO.Path.Combine(AppContext.BaseDirectory, "switchboard.dll");

    /// <summary>The program as given: a path, or a bare name looked up on PATH.</summary>
    public string Path { get; } = path;

    /// <summary>Whether the program is there; a bare name is left to PATH, and so taken on trust.</summary>
    public bool Exists => !Path.Contains('/', StringComparison.Ordinal) || File.Exists(Path);

    /// <summary>How to run the program with <paramref name="arguments"/>.</summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        bool isDll = Path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isDll ? DotnetHost.Path : Path) { UseShellExecute = false };
        if (isDll)
            start.ArgumentList.Add(Path);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }
}
