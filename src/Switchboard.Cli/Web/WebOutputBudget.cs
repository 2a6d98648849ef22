using Microsoft.Extensions.Logging;

namespace Switchboard.Cli.Web;

/// <summary>
/// The cap on output queued across all of the web page's sockets
/// (<see cref="ServerOptions.MaxPendingTotalBytes"/>, counted apart from the engines' connections,
/// as <c>--max-connections</c> is), with the engines' rule: each socket adds what it queues and
/// subtracts what it sends or drops, and stops counting once it is closed (what it still has to send
/// then has the close's deadline, not a place in the total); a <c>Send</c> that leaves the total over the cap drops the
/// sockets with the biggest queues, as too slow, until it is under again.
/// </summary>
internal sealed partial class WebOutputBudget(Func<long> limit, Func<IEnumerable<WebSocketConnection>> connections, ILogger logger)
{
    private readonly Lock _enforcing = new();
    private long _total;

    /// <summary>Bytes queued by all sockets, now.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>True if the total is over the cap: the caller should call <see cref="Enforce"/>, outside its locks.</summary>
    public bool IsOver => limit() is > 0 and var cap && Total > cap;

    public void Add(long bytes)
    {
        if (bytes != 0)
            Interlocked.Add(ref _total, bytes);
    }

    /// <summary>
    /// Drops the sockets with the biggest queues until the total is under the cap. One thread at a
    /// time does it; a thread that finds another at it leaves it to that one, which looks again
    /// before it stops. Call outside every socket's lock.
    /// </summary>
    public void Enforce()
    {
        while (IsOver)
        {
            if (!_enforcing.TryEnter())
                return;
            try
            {
                if (!DropBiggest())
                    return;
            }
            finally
            {
                _enforcing.Exit();
            }
        }
    }

    /// <summary>False if there was nothing to drop.</summary>
    private bool DropBiggest()
    {
        var queues = connections()
            .Select(c => (Connection: c, Pending: c.PendingBytes))
            .Where(q => q.Pending > 0 && q.Connection.IsOpen)
            .ToList();
        if (queues.Count == 0)
            return false;
        queues.Sort((a, b) => b.Pending.CompareTo(a.Pending));
        foreach (var (connection, pending) in queues)
        {
            long total = Total;
            long cap = limit();
            if (cap <= 0 || total <= cap)
                return true;
            Log.TotalOverLimit(logger, connection.RemoteEndPoint, pending, total, cap);
            connection.DropAsTooSlow();
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 125, Level = LogLevel.Warning, Message = "web chat: {Remote} reads too slowly: its {Pending} bytes pending are the most while all web sockets' pending output ({Total} bytes) is over the limit of {Limit}")]
        public static partial void TotalOverLimit(ILogger logger, System.Net.EndPoint remote, long pending, long total, long limit);
    }
}
