using Microsoft.Extensions.Logging;
using Switchboard.Protocols;

namespace Switchboard.Engines;

/// <summary>
/// The cap on queued output across all of a server's connections
/// (<see cref="ServerOptions.MaxPendingTotalBytes"/>; Redis's <c>maxmemory-clients</c>). Every
/// connection's <see cref="OutboundBuffer"/> adds what it appends and subtracts what it sends or
/// drops, with one <see cref="Interlocked"/> add each: that is all the hot path pays. Only a
/// <c>Send</c> that finds the total over the cap looks for the biggest queues
/// (<see cref="Enforce"/>), outside every connection's lock, and disconnects them as slow
/// consumers, biggest first, until the total is back under the cap.
/// </summary>
/// <remarks>
/// A closing connection stops counting the moment it is closed (<c>Disconnect</c> takes its
/// queue out of the total under its lock), not when its transport gets round to freeing the
/// segments: so one pass drops no more connections than it must. In a forking server each worker
/// process has its own runtime, so its own total.
/// </remarks>
internal sealed partial class OutputBudget(long limit, Func<IEnumerable<ConnectionBase>> connections, ILogger logger)
{
    private long _limit = limit;

    /// <summary>Queued output dropped with closed connections, since the last reclaim, that calls for one.</summary>
    internal const long ReclaimThreshold = 64L * 1024 * 1024;

    /// <summary>How long after the threshold is passed the reclaim runs: the transports free a dropped queue's segments as their sends return.</summary>
    internal static readonly TimeSpan ReclaimDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The least time from one reclaim to the next: clients that fill their queues and get dropped
    /// over and over must not stop the server for a collection every second.
    /// </summary>
    internal static readonly TimeSpan ReclaimInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _enforcing = new();
    private long _total;
    private long _dropped;
    private int _reclaimScheduled;
    private long _lastReclaim = long.MinValue; // Stopwatch timestamp

    /// <summary>Bytes queued by all connections (those not yet closed), now.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>The cap; 0 for none. Set by a reload: the next Send over it enforces it.</summary>
    public long Limit
    {
        get => Interlocked.Read(ref _limit);
        set => Interlocked.Exchange(ref _limit, value);
    }

    /// <summary>True if the total is over the cap: the caller should call <see cref="Enforce"/>, outside its locks.</summary>
    public bool IsOver => Limit is > 0 and var cap && Interlocked.Read(ref _total) > cap;

    public void Add(long bytes)
    {
        if (bytes != 0)
            Interlocked.Add(ref _total, bytes);
    }

    /// <summary>
    /// A connection closed with <paramref name="bytes"/> still queued. Its segments become garbage
    /// (the shared array pool keeps only a few), in the oldest generation since they were queued
    /// a while, and with no traffic after a mass drop nothing makes the GC collect them: so once
    /// <see cref="ReclaimThreshold"/> has been dropped, a blocking, compacting collection gives the
    /// memory back to the system (at most one pending at a time).
    /// </summary>
    public void OnDropped(long bytes)
    {
        if (Interlocked.Add(ref _dropped, bytes) < ReclaimThreshold || Interlocked.Exchange(ref _reclaimScheduled, 1) != 0)
            return;
        _ = ReclaimAsync();
    }

    private async Task ReclaimAsync()
    {
        var delay = ReclaimDelay;
        long last = Interlocked.Read(ref _lastReclaim);
        if (last != long.MinValue)
        {
            var sinceLast = System.Diagnostics.Stopwatch.GetElapsedTime(last);
            if (ReclaimInterval - sinceLast > delay)
                delay = ReclaimInterval - sinceLast;
        }

        await Task.Delay(delay).ConfigureAwait(false);
        long dropped = Interlocked.Exchange(ref _dropped, 0);
        long before = Environment.WorkingSet;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        double ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Interlocked.Exchange(ref _lastReclaim, System.Diagnostics.Stopwatch.GetTimestamp());
        Log.Reclaimed(logger, dropped / (1024 * 1024), before / (1024 * 1024), Environment.WorkingSet / (1024 * 1024), ms);
        Volatile.Write(ref _reclaimScheduled, 0);
        if (Volatile.Read(ref _dropped) >= ReclaimThreshold && Interlocked.Exchange(ref _reclaimScheduled, 1) == 0)
            _ = ReclaimAsync();
    }

    /// <summary>
    /// Disconnects the connections with the biggest queues, as slow consumers, until the total
    /// is under the cap. One thread at a time does it; a thread that finds another at it leaves
    /// it to that one, which looks again before it stops. Call outside every connection's lock.
    /// </summary>
    public void Enforce()
    {
        // A drop tells the app, whose goodbye to the others may send, on this thread, and come
        // back here: the pass under way goes on, and looks at the total before each drop.
        if (_enforcing.IsHeldByCurrentThread)
            return;
        while (IsOver)
        {
            if (!_enforcing.TryEnter())
                return; // the thread at it checks again after letting go
            try
            {
                DropBiggest();
            }
            finally
            {
                _enforcing.Exit();
            }
        }
    }

    private void DropBiggest()
    {
        if (!IsOver)
            return;

        // The costly part, only when over: every open connection's queue, biggest first.
        var queues = connections()
            .Select(c => (Connection: c, Pending: c.PendingBytes))
            .Where(q => q.Pending > 0)
            .ToList();
        queues.Sort((a, b) => b.Pending.CompareTo(a.Pending));

        foreach (var (connection, pending) in queues)
        {
            long total = Total;
            if (total <= Limit)
                return;
            if (connection.Reason is not null)
                continue; // closed since the snapshot: no longer counted
            Log.TotalOverLimit(logger, connection.RemoteEndPoint, pending, total, Limit);
            connection.Disconnect(DisconnectReason.SlowConsumer);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 230, Level = LogLevel.Information, Message = "Dropped connections had {DroppedMiB} MiB queued: collected garbage, memory in use {BeforeMiB} -> {AfterMiB} MiB ({Milliseconds:F0} ms)")]
        public static partial void Reclaimed(ILogger logger, long droppedMiB, long beforeMiB, long afterMiB, double milliseconds);

        [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "{Remote} reads too slowly: its {Pending} bytes pending are the most while all connections' pending output ({Total} bytes) is over the limit of {Limit}")]
        public static partial void TotalOverLimit(ILogger logger, System.Net.EndPoint remote, long pending, long total, long limit);
    }
}
