using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Switchboard.Diagnostics;

namespace Switchboard.Engines;

/// <summary>
/// The per-address limits (<see cref="ServerOptions.MaxConnectionsPerAddress"/>,
/// <see cref="ServerOptions.ConnectRatePerMinute"/>): how many connections each address has open,
/// and a token bucket of new connections per address. An IPv4 address counts alone; an IPv6
/// address counts with its /64 (one host usually holds a whole /64, so counting single IPv6
/// addresses would limit nothing). Addresses in <see cref="ServerOptions.LimitExempt"/> are never
/// counted. Thread-safe (one lock: admission is short and never blocks under it).
/// </summary>
/// <remarks>
/// Memory stays bounded: an entry lives while its address has connections open or its bucket is
/// not yet full again; entries of neither kind are swept when the table reaches
/// <see cref="TableLimit"/>. Entries with connections open number at most the server's
/// connection limit; should the table still be full after a sweep (a churn of addresses faster
/// than their buckets refill), the throttle's memory of closed addresses is forgotten, which
/// errs towards admitting.
/// </remarks>
internal sealed class AddressLimiter
{
    /// <summary>The most addresses remembered only for the throttle, beyond those with connections open.</summary>
    public const int ThrottleEntries = 16_384;

    private readonly Lock _lock = new();
    private readonly Dictionary<AddressKey, Entry> _entries = [];
    private volatile IReadOnlyList<IPNetwork> _exempt;
    private int _maxPerAddress; // these two under _lock
    private int _ratePerMinute;
    private readonly TimeProvider _clock;

    public AddressLimiter(ServerOptions options, TimeProvider? clock = null)
    {
        _exempt = options.LimitExempt;
        _maxPerAddress = options.MaxConnectionsPerAddress;
        _ratePerMinute = options.ConnectRatePerMinute;
        _clock = clock ?? TimeProvider.System;
        TableLimit = (int)Math.Min((long)options.MaxConnections + ThrottleEntries, int.MaxValue);
    }

    /// <summary>
    /// New limits (a reload): the next connection is judged by them. The table is kept, so what
    /// each address has open still counts; a bucket holding more than a lower rate allows is cut to it.
    /// </summary>
    public void Update(ServerOptions options)
    {
        lock (_lock)
        {
            // A throttle turned on from off: buckets kept only for open connections were empty.
            if (_ratePerMinute <= 0 && options.ConnectRatePerMinute > 0)
            {
                long now = _clock.GetTimestamp();
                foreach (var key in _entries.Keys.ToList())
                    _entries[key] = _entries[key] with { Tokens = options.ConnectRatePerMinute, Refilled = now };
            }

            _exempt = options.LimitExempt;
            _maxPerAddress = options.MaxConnectionsPerAddress;
            _ratePerMinute = options.ConnectRatePerMinute;
            TableLimit = (int)Math.Min((long)options.MaxConnections + ThrottleEntries, int.MaxValue);
        }
    }

    /// <summary>True if the options ask for any per-address limit.</summary>
    public static bool IsEnabled(ServerOptions options) =>
        options.MaxConnectionsPerAddress > 0 || options.ConnectRatePerMinute > 0;

    /// <summary>The most entries kept (it follows the connection limit at a reload).</summary>
    public int TableLimit { get; private set; }

    /// <summary>Entries now (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    /// <summary>
    /// Counts a new connection from <paramref name="address"/>, or returns why it is refused (then
    /// nothing is counted). A counted connection (<paramref name="counted"/>: false for an exempt
    /// address) must be given back with <see cref="Release"/>, whatever the exemptions are by then.
    /// </summary>
    public Refusal? TryAcquire(IPAddress address, out bool counted)
    {
        counted = false;
        if (IsExempt(address))
            return null;
        var key = KeyOf(address);
        long now = _clock.GetTimestamp();
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= TableLimit)
                    MakeRoom(now);
                entry = new Entry { Tokens = _ratePerMinute, Refilled = now };
            }

            if (_maxPerAddress > 0 && entry.Open >= _maxPerAddress)
                return new Refusal(RefusalKind.PerAddress, $"too many connections from your address ({_maxPerAddress})");
            if (_ratePerMinute > 0)
            {
                Refill(ref entry, now);
                if (entry.Tokens < 1)
                {
                    _entries[key] = entry;
                    return new Refusal(RefusalKind.ConnectRate, $"connecting too often from your address ({_ratePerMinute} a minute)");
                }

                entry.Tokens--;
            }

            entry.Open++;
            _entries[key] = entry;
            counted = true;
            return null;
        }
    }

    /// <summary>Gives back a connection counted by <see cref="TryAcquire"/> (exempt or not by now: it was counted).</summary>
    public void Release(IPAddress address)
    {
        var key = KeyOf(address);
        long now = _clock.GetTimestamp();
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
                return;
            entry.Open = Math.Max(0, entry.Open - 1);
            if (entry.Open == 0 && IsIdle(ref entry, now))
                _entries.Remove(key);
            else
                _entries[key] = entry;
        }
    }

    /// <summary>Drops entries that hold nothing; if that frees too little, forgets every closed address's bucket.</summary>
    private void MakeRoom(long now)
    {
        foreach (var (key, entry) in _entries)
        {
            var copy = entry;
            if (copy.Open == 0 && IsIdle(ref copy, now))
                _entries.Remove(key);
        }

        if (_entries.Count > TableLimit - (TableLimit / 4))
        {
            foreach (var (key, entry) in _entries)
            {
                if (entry.Open == 0)
                    _entries.Remove(key);
            }
        }
    }

    /// <summary>True if the entry's bucket is full again (or there is no throttle): it remembers nothing worth keeping.</summary>
    private bool IsIdle(ref Entry entry, long now)
    {
        if (_ratePerMinute <= 0)
            return true;
        Refill(ref entry, now);
        return entry.Tokens >= _ratePerMinute;
    }

    private void Refill(ref Entry entry, long now)
    {
        double minutes = _clock.GetElapsedTime(entry.Refilled, now).TotalMinutes;
        if (minutes > 0)
        {
            entry.Tokens = Math.Min(_ratePerMinute, entry.Tokens + (minutes * _ratePerMinute));
            entry.Refilled = now;
        }
    }

    /// <summary>Whether <paramref name="address"/> is in <see cref="ServerOptions.LimitExempt"/> (as it is now).</summary>
    private bool IsExempt(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var network in _exempt)
        {
            if (network.Contains(address))
                return true;
        }

        return false;
    }

    /// <summary>The counted key of an address: IPv4 alone, IPv6 by /64.</summary>
    private static AddressKey KeyOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? new AddressKey(false, BinaryPrimitives.ReadUInt32BigEndian(bytes))
            : new AddressKey(true, BinaryPrimitives.ReadUInt64BigEndian(bytes[..Math.Max(8, written)]));
    }

    private readonly record struct AddressKey(bool IsV6, ulong Value);

    private struct Entry
    {
        public int Open;
        public double Tokens;
        public long Refilled;
    }
}
