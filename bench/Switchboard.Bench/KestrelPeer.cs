using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// The reference peer: <c>bench/Switchboard.KestrelEcho</c>, an echo server on Kestrel (ASP.NET
/// Core's <c>ConnectionHandler</c>), so Switchboard's engines are measured next to the standard
/// .NET server in the same run. It is found in the source tree, built (Release preferred).
/// </summary>
public static class KestrelPeer
{
    /// <summary>The name to list in <c>--engines</c>.</summary>
    public const string Name = "kestrel";

    /// <summary>The built peer, or null if it cannot be found (then build <c>bench/Switchboard.KestrelEcho</c>).</summary>
    public static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (string configuration in new[] { "Release", "Debug" })
            {
                string candidate = Path.Combine(dir.FullName, "bench", "Switchboard.KestrelEcho", "bin", configuration, "net10.0", "Switchboard.KestrelEcho.dll");
                if (File.Exists(candidate))
                    return candidate;
            }
        }

        return null;
    }

    internal static ProcessStartInfo StartInfo(string path)
    {
        var start = new ProcessStartInfo(DotnetHost.Path) { UseShellExecute = false };
        start.ArgumentList.Add(path);
        start.ArgumentList.Add("0");
        return start;
    }
}
