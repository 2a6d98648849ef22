namespace Switchboard.Tests.Support;

/// <summary>The checkout the tests were built from.</summary>
public static class Repository
{
    /// <summary>The first directory above the tests with Switchboard.slnx.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Switchboard.slnx")))
                return directory.FullName;
        }

        throw new DirectoryNotFoundException($"no Switchboard.slnx above {AppContext.BaseDirectory}");
    }
}
