using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Engines;
using Switchboard.Protocols;

namespace Switchboard.Testing;

/// <summary>
/// Runs a <see cref="Protocol"/> with no sockets (Twisted's <c>StringTransport</c>): feed it bytes,
/// read what it sent, move its clock. The protocol sees the same contract as on a real engine
/// (the same connection code runs underneath), so protocol tests need no network.
/// </summary>
public sealed class StringTransport : IConnectionHost
{
    private readonly MemoryConnection _connection;
    private readonly ManualClock _clock = new();

    /// <summary>Attaches <paramref name="protocol"/> and runs its <see cref="Protocol.OnConnected"/>.</summary>
    /// <param name="protocol">The protocol under test.</param>
    /// <param name="options">Server options the protocol sees; defaults otherwise.</param>
    public StringTransport(Protocol protocol, ServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        Options = options ?? new ServerOptions();
        _connection = new MemoryConnection(protocol, this, _clock);
        _connection.Start();
    }

    /// <summary>The connection the protocol sees.</summary>
    public IConnection Connection => _connection;

    /// <summary>The server options the protocol sees.</summary>
    public ServerOptions Options { get; }

    /// <summary>The reason passed to <see cref="Protocol.OnDisconnected"/>, once it has run.</summary>
    public DisconnectReason? DisconnectReason { get; private set; }

    ILogger IConnectionHost.Logger => NullLogger.Instance;

    /// <summary>Delivers <paramref name="data"/> to the protocol as one read.</summary>
    /// <param name="data">The bytes the peer sent.</param>
    public void Receive(ReadOnlySpan<byte> data) => _connection.Feed(data);

    /// <summary>Delivers <paramref name="text"/> as UTF-8, split into reads of <paramref name="chunkSize"/> bytes.</summary>
    /// <param name="text">What the peer sent.</param>
    /// <param name="chunkSize">Bytes per read; 1 feeds one byte at a time.</param>
    public void Receive(string text, int chunkSize = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ReadOnlySpan<byte> bytes = Encoding.UTF8.GetBytes(text);
        while (!bytes.IsEmpty)
        {
            int n = Math.Min(chunkSize, bytes.Length);
            Receive(bytes[..n]);
            bytes = bytes[n..];
        }
    }

    /// <summary>The peer closes its side.</summary>
    public void CloseFromPeer() => _connection.PeerClosed();

    /// <summary>Moves the clock on, firing timers that come due, in order.</summary>
    /// <param name="by">How far.</param>
    public void AdvanceTime(TimeSpan by) => _clock.Advance(by);

    /// <summary>Returns the bytes the protocol sent since the last call, and forgets them.</summary>
    public byte[] TakeSent() => _connection.TakeWritten();

    /// <summary>Returns what the protocol sent since the last call, decoded as UTF-8, and forgets it.</summary>
    public string TakeSentText() => Encoding.UTF8.GetString(TakeSent());

    /// <summary>True once the connection was closed (by the protocol or the peer) and its transport shut.</summary>
    public bool IsClosed => _connection.TransportClosed;

    void IConnectionHost.OnConnectionClosed(ConnectionBase connection) => DisconnectReason = connection.Reason;

    void IConnectionHost.OnSocketClosed()
    {
        // No socket, no descriptor to account for.
    }
}
