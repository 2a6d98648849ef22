using System.Diagnostics;
using System.Globalization;
using System.Net;
using HdrHistogram;
using static Switchboard.Interop.Interop;

namespace Switchboard.Bench;

/// <summary>
/// The time load measured by <c>bench/peers/time-client.c</c>: the clients are one C process,
/// one thread reading every connection on one epoll loop, so that at 100,000 lines/s the
/// lateness measured is the server's and not the load generator's. It measures as
/// <see cref="TimeLoad"/> does (the gap between a client's consecutive lines past the interval,
/// the first interval after the connects not measured) and prints its histogram, which is put
/// into the histogram the .NET load would have filled.
/// </summary>
internal static class CTimeLoad
{
    /// <summary>The client's source and where the bench compiles it.</summary>
    public static CProgram Program { get; } = new("the C time client", "bench/peers/time-client.c", "time-client");

    /// <summary>What the client says on stderr once every connection is open: the measurement begins.</summary>
    private const string OpenLine = " connections open, measuring for ";

    private const string Prefix = "time-client: ";

    // After its duration, the client prints at once; this is only for one that hangs.
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs the client built at <paramref name="program"/> against <paramref name="target"/>,
    /// pinned to <paramref name="core"/> if given; <paramref name="started"/> is called when its
    /// connections are open. <paramref name="interrupt"/> (Ctrl-C) ends it early (SIGTERM), with
    /// what it measured. Its CPU over the measurement is returned apart: it is not the bench's.
    /// </summary>
    public static async Task<(LoadStats Stats, HistogramBase Lateness, double CpuSeconds)> RunAsync(
        string program, IPEndPoint target, int clients, TimeSpan interval, TimeSpan duration, int? core, Action started, CancellationToken interrupt)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (string argument in new[] { target.Address.ToString(), target.Port.ToString(CultureInfo.InvariantCulture), clients.ToString(CultureInfo.InvariantCulture), Seconds(interval), Seconds(duration) })
            start.ArgumentList.Add(argument);
        if (core is { } pinnedTo)
            start = CorePinning.Pinned(start, pinnedTo);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;

        using var client = Start(start, program);
        // Interrupted: the client stops measuring and prints what it has (a terminal's Ctrl-C reaches it too).
        using var stopOnInterrupt = interrupt.Register(() => ProcessControl.Signal(client.Id, ProcessControl.SIGTERM));
        using var hung = new CancellationTokenSource();
        bool open = false;
        var said = new List<string>();
        var stdout = client.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = Task.Run(async () =>
        {
            while (await client.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (!open && line.StartsWith(Prefix, StringComparison.Ordinal) && line.Contains(OpenLine, StringComparison.Ordinal))
                {
                    open = true;
                    hung.CancelAfter(duration + ExitGrace);
                    started();
                }
                else
                {
                    said.Add(line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..] : line);
                }
            }
        }, CancellationToken.None);

        try
        {
            await client.WaitForExitAsync(hung.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            client.Kill();
            throw new BenchException($"{Program.Title} did not finish within {ExitGrace.TotalSeconds:0} s of its duration");
        }

        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        if (client.ExitCode != 0)
        {
            if (!open && interrupt.IsCancellationRequested)
                throw new OperationCanceledException(interrupt);
            throw new BenchException(said.FirstOrDefault() ?? $"{Program.Title} exited with {client.ExitCode}, saying nothing");
        }

        return Parse(stdout.Result);
    }

    private static Process Start(ProcessStartInfo start, string program)
    {
        try
        {
            return Process.Start(start) ?? throw new BenchException($"cannot start {Program.Title} ({program})");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchException($"cannot start {Program.Title} ({start.FileName}): {e.Message}");
        }
    }

    /// <summary>Decimal seconds, as the client reads them.</summary>
    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The client's result: <c>lines</c>, <c>seconds</c>, <c>lost</c>, <c>cpu_seconds</c>, and
    /// <c>lateness NANOSECONDS COUNT</c> lines, recorded here in Stopwatch ticks as
    /// <see cref="TimeLoad"/> records them.
    /// </summary>
    internal static (LoadStats Stats, HistogramBase Lateness, double CpuSeconds) Parse(string output)
    {
        var lateness = Histograms.Create();
        long? lines = null, lost = null;
        double? seconds = null, cpu = null;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            bool ok = (fields[0], fields.Length) switch
            {
                ("lines", 2) => TryLong(fields[1], out lines),
                ("lost", 2) => TryLong(fields[1], out lost),
                ("seconds", 2) => TryDouble(fields[1], out seconds),
                ("cpu_seconds", 2) => TryDouble(fields[1], out cpu),
                ("lateness", 3) => TryRecord(lateness, fields[1], fields[2]),
                _ => false,
            };
            if (!ok)
                throw new BenchException($"{Program.Title} printed what the bench cannot read: '{line}'");
        }

        if (lines is not { } measured || lost is not { } closed || seconds is not { } elapsed || cpu is not { } cpuSeconds)
            throw new BenchException($"{Program.Title} printed no whole result (lines, seconds, lost, cpu_seconds)");
        if (lateness.TotalCount != measured)
            throw new BenchException($"{Program.Title} printed {measured} lines and a histogram of {lateness.TotalCount}");
        return (new LoadStats(measured, 0, closed, elapsed), lateness, cpuSeconds);
    }

    private static bool TryLong(string text, out long? value)
    {
        bool ok = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed);
        value = ok ? parsed : null;
        return ok;
    }

    private static bool TryDouble(string text, out double? value)
    {
        bool ok = double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double parsed);
        value = ok ? parsed : null;
        return ok;
    }

    private static bool TryRecord(LongHistogram lateness, string nanoseconds, string count)
    {
        if (!ulong.TryParse(nanoseconds, NumberStyles.None, CultureInfo.InvariantCulture, out ulong ns)
            || !long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out long times))
            return false;
        // Nanoseconds to Stopwatch ticks (the same on Linux), within what the histogram holds.
        double ticks = ns * (double)Stopwatch.Frequency / 1e9;
        lateness.RecordValueWithCount((long)Math.Min(ticks, lateness.HighestTrackableValue), times);
        return true;
    }
}
