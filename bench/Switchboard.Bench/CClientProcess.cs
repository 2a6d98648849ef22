using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using static Switchboard.Interop.Interop;

namespace Switchboard.Bench;

/// <summary>
/// Runs one of the bench's C load clients (the time client, the chat client) to its end: started
/// pinned to a core if asked, its stderr watched for the line that says the measurement begins
/// (the bench then reads the server's CPU), stopped early by SIGTERM on Ctrl-C, killed if it hangs
/// past its run, and its stdout, the result, returned whole. Every error is one line.
/// </summary>
internal static class CClientProcess
{
    // After its run, a client prints at once; this is only for one that hangs.
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="program"/> (the build of <paramref name="client"/>) with
    /// <paramref name="arguments"/>, pinned to <paramref name="core"/> if given;
    /// <paramref name="started"/> is called when it says, on a stderr line starting with
    /// <paramref name="prefix"/>, <paramref name="openLine"/>. It must end within
    /// <paramref name="run"/> of that line (plus a grace). Its other stderr lines, without the
    /// prefix, are the error of a client that exits with a code other than 0. Interrupted before
    /// the open line, and exiting with an error, it throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<string> RunAsync(
        CProgram client, string program, IEnumerable<string> arguments, string prefix, string openLine, TimeSpan run, int? core, Action started, CancellationToken interrupt)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        if (core is { } pinnedTo)
            start = CorePinning.Pinned(start, pinnedTo);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;

        using var process = Start(client, start, program);
        // Interrupted: the client stops measuring and prints what it has (a terminal's Ctrl-C reaches it too).
        using var stopOnInterrupt = interrupt.Register(() => ProcessControl.Signal(process.Id, ProcessControl.SIGTERM));
        using var hung = new CancellationTokenSource();
        bool open = false;
        var said = new List<string>();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (!open && line.StartsWith(prefix, StringComparison.Ordinal) && line.Contains(openLine, StringComparison.Ordinal))
                {
                    open = true;
                    hung.CancelAfter(run + ExitGrace);
                    started();
                }
                else
                {
                    said.Add(line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : line);
                }
            }
        }, CancellationToken.None);

        try
        {
            await process.WaitForExitAsync(hung.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new BenchException($"{client.Title} did not finish within {ExitGrace.TotalSeconds:0} s of its duration");
        }

        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            if (!open && interrupt.IsCancellationRequested)
                throw new OperationCanceledException(interrupt);
            throw new BenchException(said.FirstOrDefault() ?? $"{client.Title} exited with {process.ExitCode}, saying nothing");
        }

        return stdout.Result;
    }

    /// <summary>Decimal seconds, as the clients read them.</summary>
    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);

    private static Process Start(CProgram client, ProcessStartInfo start, string program)
    {
        try
        {
            return Process.Start(start) ?? throw new BenchException($"cannot start {client.Title} ({program})");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchException($"cannot start {client.Title} ({start.FileName}): {e.Message}");
        }
    }

    /// <summary>A count the client printed.</summary>
    internal static bool TryLong(string text, out long? value)
    {
        bool ok = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed);
        value = ok ? parsed : null;
        return ok;
    }

    /// <summary>Seconds the client printed.</summary>
    internal static bool TryDouble(string text, out double? value)
    {
        bool ok = double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double parsed);
        value = ok ? parsed : null;
        return ok;
    }

    /// <summary>A histogram line's bucket, <paramref name="nanoseconds"/> recorded <paramref name="count"/> times in Stopwatch ticks.</summary>
    internal static bool TryRecord(LongHistogram histogram, string nanoseconds, string count)
    {
        if (!ulong.TryParse(nanoseconds, NumberStyles.None, CultureInfo.InvariantCulture, out ulong ns)
            || !long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out long times))
            return false;
        // Nanoseconds to Stopwatch ticks (the same on Linux), within what the histogram holds.
        double ticks = ns * (double)Stopwatch.Frequency / 1e9;
        histogram.RecordValueWithCount((long)Math.Min(ticks, histogram.HighestTrackableValue), times);
        return true;
    }
}
