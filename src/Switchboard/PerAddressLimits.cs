using System.Net;
using Switchboard.Engines;

namespace Switchboard;

/// <summary>
/// A server's per-address limits (<see cref="ServerOptions.MaxConnectionsPerAddress"/>,
/// <see cref="ServerOptions.ConnectRatePerMinute"/>, <see cref="ServerOptions.LimitExempt"/>)
/// for connections an engine does not accept: a listener of its own (the chat's web page) keeps
/// the same rules as the engines, with the same counting (an IPv6 address with its /64) and the
/// same refusal wording. Thread-safe.
/// </summary>
public sealed class PerAddressLimits
{
    private readonly AddressLimiter _limiter;

    /// <summary>Limits as <paramref name="options"/> set them (none if they set none).</summary>
    /// <param name="options">The server's options.</param>
    /// <param name="clock">The connection-rate bucket's clock; the system clock by default.</param>
    public PerAddressLimits(ServerOptions options, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limiter = new AddressLimiter(options, clock);
    }

    /// <summary>
    /// Counts a new connection from <paramref name="address"/>, or says why it is refused (then
    /// nothing is counted): <c>too many connections from your address (3)</c>. A connection
    /// admitted with <paramref name="counted"/> true must be given back with <see cref="Release"/>.
    /// </summary>
    /// <param name="address">The peer's address.</param>
    /// <param name="counted">True if it was counted (false for an exempt address, or a refusal).</param>
    /// <returns>Null if admitted; else the reason, one line.</returns>
    public string? TryAdmit(IPAddress address, out bool counted)
    {
        ArgumentNullException.ThrowIfNull(address);
        return _limiter.TryAcquire(address, out counted)?.Why;
    }

    /// <summary>Gives back a connection counted by <see cref="TryAdmit"/>.</summary>
    /// <param name="address">The peer's address, as admitted.</param>
    public void Release(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _limiter.Release(address);
    }

    /// <summary>New limits (a reload): the next connection is judged by them; what each address has open still counts.</summary>
    /// <param name="options">The server's new options.</param>
    public void Update(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limiter.Update(options);
    }
}
