using System.Globalization;

namespace Switchboard.Tests.Support;

/// <summary>The live children of a process (a forking server's workers), read from /proc.</summary>
internal static class ProcessTree
{
    /// <summary>The pids of <paramref name="parent"/>'s children that are alive (not zombies).</summary>
    public static IReadOnlyList<int> ChildrenOf(int parent)
    {
        string parentText = parent.ToString(CultureInfo.InvariantCulture);
        var children = new List<int>();
        foreach (string directory in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && IsLiveChildOf(directory, parentText))
                children.Add(pid);
        }

        return children;
    }

    private static bool IsLiveChildOf(string procDirectory, string parent)
    {
        try
        {
            // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so fields count from its last ')'.
            string stat = File.ReadAllText(Path.Combine(procDirectory, "stat"));
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[1] == parent && fields[0] != "Z";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone meanwhile
        }
    }
}
