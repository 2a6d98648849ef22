using System.Runtime.InteropServices;

namespace Switchboard.Bench;

/// <summary>The machine figures came from: they mean little without it.</summary>
public sealed record MachineInfo(int Cores, string Cpu, string Kernel, string Runtime, DateTimeOffset When)
{
    /// <summary>This machine, now (Linux: from /proc).</summary>
    public static MachineInfo Describe() => new(
        Environment.ProcessorCount,
        ReadCpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString(),
        ReadFirstLine("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        DateTimeOffset.UtcNow);

    private static string? ReadCpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? ReadFirstLine(string path)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault()?.Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>What <c>--out</c> gets as JSON: the machine, the settings, and one result per engine.</summary>
public sealed record BenchReport(MachineInfo Machine, BenchSettings Settings, IReadOnlyList<BenchResult> Results);
