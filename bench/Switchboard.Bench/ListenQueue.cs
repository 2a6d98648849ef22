namespace Switchboard.Bench;

/// <summary>The kernel's count of handshakes dropped at a full listen queue.</summary>
internal static class ListenQueue
{
    /// <summary>
    /// <c>TcpExt: ListenOverflows</c> from <c>/proc/net/netstat</c> (the whole network namespace,
    /// since boot), or null where there is no such file (not Linux).
    /// </summary>
    public static long? Overflows()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/net/netstat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // Pairs of lines: "TcpExt: Name1 Name2 …" then "TcpExt: value1 value2 …".
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith("TcpExt:", StringComparison.Ordinal) || !lines[i + 1].StartsWith("TcpExt:", StringComparison.Ordinal))
                continue;
            var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(names, "ListenOverflows");
            return at > 0 && at < values.Length && long.TryParse(values[at], System.Globalization.CultureInfo.InvariantCulture, out long count) ? count : null;
        }

        return null;
    }
}
