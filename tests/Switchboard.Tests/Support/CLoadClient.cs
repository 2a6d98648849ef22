namespace Switchboard.Tests.Support;

/// <summary>The bench's C load clients (<c>bench/peers/NAME.c</c>), compiled for a test with every warning an error.</summary>
internal static class CLoadClient
{
    /// <summary>Compiles <c>bench/peers/<paramref name="name"/>.c</c> into <paramref name="directory"/> with <c>cc -O2 -Wall -Wextra -Werror</c>; its path.</summary>
    public static async Task<string> CompileAsync(string name, string directory)
    {
        Directory.CreateDirectory(directory);
        string program = Path.Combine(directory, name);
        using var cc = CliProcess.StartTool("cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", program, Path.Combine(Repository.Root, "bench", "peers", name + ".c"));
        Assert.Equal("", await cc.ReadToEndAsync());
        int exit = await cc.WaitForExitAsync();
        Assert.True(exit == 0 && cc.Stderr.Length == 0, $"cc exited {exit}: {cc.Stderr}");
        return program;
    }
}
