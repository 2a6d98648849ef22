namespace Switchboard.Hosting;

/// <summary>The process's open-files limit (RLIMIT_NOFILE), which caps how many connections a server can hold.</summary>
public static class DescriptorLimit
{
    /// <summary>Raises the soft limit to the hard limit (Linux); returns the soft limit before and after.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The limit could not be read or set.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public static (ulong Before, ulong After) RaiseToHardLimit()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the open-files limit is managed here only on Linux");
        return Interop.Interop.ResourceLimits.RaiseOpenFilesToHardLimit();
    }
}
