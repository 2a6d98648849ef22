namespace Switchboard.Bench;

/// <summary>The bench's one-line errors, in the style of the <c>switchboard</c> CLI.</summary>
internal static class BenchCli
{
    /// <summary>The program's name, as its messages and usage name it.</summary>
    public const string Name = "switchboard-bench";

    /// <summary>Prints <c>switchboard-bench: MESSAGE</c> on stderr and returns <paramref name="exitCode"/>.</summary>
    public static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"{Name}: {message}");
        return exitCode;
    }
}
