namespace Switchboard.Cli;

/// <summary>Small helpers shared by the commands.</summary>
internal static class Cli
{
    /// <summary>Prints <c>switchboard: MESSAGE</c> on stderr and returns <paramref name="exitCode"/>.</summary>
    public static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"switchboard: {message}");
        return exitCode;
    }
}
