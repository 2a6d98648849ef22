using System.Globalization;

namespace Switchboard.Hosting;

/// <summary>
/// Says how a worker ended. .NET reports a process killed by signal N as exit status 128 + N,
/// the same number as a plain exit with that code, so the status alone cannot tell them apart.
/// A worker that exits on its own says so on its control channel first (its ProcessExit); one
/// that ends without saying so and whose status is above 128 was killed by a signal. A worker
/// that never came up may have failed in the .NET host, before it could say anything, so its
/// status stays ambiguous and is reported as such.
/// </summary>
internal static class WorkerExit
{
    public static string Describe(int status, bool saidGoodbye, bool cameUp)
    {
        if (saidGoodbye || status is >= 0 and <= 128)
            return string.Create(CultureInfo.InvariantCulture, $"exit code {status}");
        if (cameUp)
            return string.Create(CultureInfo.InvariantCulture, $"killed by signal {status - 128}");
        return string.Create(CultureInfo.InvariantCulture, $"exit status {status}: exit code {status}, or killed by signal {status - 128}");
    }
}
