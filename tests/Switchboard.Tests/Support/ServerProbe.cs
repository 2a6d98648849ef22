using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>What the server-side test protocols saw, shared by all connections of one test server.</summary>
public sealed class ServerProbe : IServerProbe
{
    private int _active;
    private int _maxActive;
    private int _overlaps;
    private int _lateTimerRuns;
    private long _maxPending;

    /// <summary>"connected ID", "disconnected ID REASON", "shutdown ID".</summary>
    public EventLog<string> Events { get; } = new();

    /// <summary>The sizes of the reads <see cref="OverlapProtocol"/> saw.</summary>
    public EventLog<int> ReceivedBytes { get; } = new();

    public int MaxActiveConnections => Volatile.Read(ref _maxActive);

    public int Overlaps => Volatile.Read(ref _overlaps);

    public int LateTimerRuns => Volatile.Read(ref _lateTimerRuns);

    public long MaxPendingSeen => Interlocked.Read(ref _maxPending);

    public void Connected(long id)
    {
        int now = Interlocked.Increment(ref _active);
        InterlockedMax(ref _maxActive, now);
        Events.Add($"connected {id}");
    }

    public void Disconnected(long id, DisconnectReason reason)
    {
        Interlocked.Decrement(ref _active);
        Events.Add($"disconnected {id} {reason}");
    }

    public void Received(int bytes) => ReceivedBytes.Add(bytes);

    public void Filled(long id, long pending) => Events.Add($"filled {id} {pending}");

    /// <summary>Waits for connection <paramref name="id"/>'s <c>flood-to</c> to be done; returns the bytes it had queued.</summary>
    public async Task<long> WaitForFilledAsync(long id)
    {
        string prefix = $"filled {id} ";
        await Events.WaitUntilAsync(e => e.Any(x => x.StartsWith(prefix, StringComparison.Ordinal)), Timeouts.Patient, prefix.Trim());
        return long.Parse(Events.Snapshot().First(x => x.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Overlapped() => Interlocked.Increment(ref _overlaps);

    public void TimerRanAfterDisconnect() => Interlocked.Increment(ref _lateTimerRuns);

    public void SawPending(long pending)
    {
        long seen;
        while (pending > (seen = Interlocked.Read(ref _maxPending)) &&
               Interlocked.CompareExchange(ref _maxPending, pending, seen) != seen)
        {
        }
    }

    public Task WaitForDisconnectAsync(long id, DisconnectReason reason, TimeSpan? timeout = null) =>
        Events.WaitUntilAsync(e => e.Contains($"disconnected {id} {reason}"), timeout ?? Timeouts.Patient, $"disconnected {id} {reason}");

    public int DisconnectCount(long id) => Events.Snapshot().Count(e => e.StartsWith($"disconnected {id} ", StringComparison.Ordinal));

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
