using System.Diagnostics;

namespace Switchboard.Hosting;

/// <summary>How to start the running program again, e.g. as a forking server's worker.</summary>
public static class ThisProgram
{
    /// <summary>A start description for this program (its apphost, or <c>dotnet program.dll</c>) with <paramref name="arguments"/>.</summary>
    /// <param name="arguments">The arguments, without the program itself.</param>
    /// <exception cref="InvalidOperationException">The running program cannot be told.</exception>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program this is");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.Ordinal))
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>A start description for this program with the arguments it was started with.</summary>
    public static ProcessStartInfo SameArguments() => StartInfo(Environment.GetCommandLineArgs().Skip(1));
}
