using System.Globalization;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>
/// The same conversations on the forking engine, through the real executable: the rooms live in
/// its parent and every answer crosses the worker's channel, which is where ordering can break.
/// Run alone, like the other tests that start worker processes.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class ChatOnForkingTests : ChatConversationTests<ChatOnForkingTests>, IChatEngines
{
    private readonly List<CliProcess> _processes = [];
    private readonly HashSet<CliProcess> _stopped = [];

    public static IEnumerable<string> EngineNames => ["forking"];

    /// <summary>Within the 8 workers the server is started with, one for the talker.</summary>
    protected override int RoomSize => 7;

    protected override async Task<ChatServer> StartAsync(string engine, int? rate = null, int? maxPendingBytes = null, double? registerTimeout = null)
    {
        // One spare worker keeps process starts (a runtime each) to what the test needs.
        List<string> args = ["serve", "chat", "--port", "0", "--engine", engine, "--workers", "1..8"];
        if (rate is { } r)
            args.AddRange(["--rate", r.ToString(CultureInfo.InvariantCulture)]);
        if (maxPendingBytes is { } max)
            args.AddRange(["--max-pending", max.ToString(CultureInfo.InvariantCulture)]);
        if (registerTimeout is { } seconds)
            args.AddRange(["--register-timeout", seconds.ToString(CultureInfo.InvariantCulture)]);
        var process = CliProcess.Start([.. args]);
        _processes.Add(process);
        var (endPoint, _) = await process.ReadListeningLineAsync();
        return new ChatServer(endPoint, () => StopAsync(process));
    }

    protected override async Task StopAllAsync()
    {
        foreach (var process in _processes)
        {
            if (!_stopped.Contains(process))
                await StopAsync(process);
            process.Dispose();
        }
    }

    private async Task StopAsync(CliProcess process)
    {
        _stopped.Add(process);
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
    }
}
