using System.Net;
using System.Net.Security;
using Switchboard.Protocols;

namespace Switchboard.Tls;

/// <summary>
/// The app's view of a TLS connection: the engine's connection, whose <see cref="Send"/>
/// encrypts. Everything else (ids, addresses, limits, timers, close) is the engine connection's;
/// its output limits count encrypted bytes. <see cref="Send"/> works from any thread and never
/// blocks but on another sender's encryption (one lock: SslStream takes one write at a time).
/// </summary>
internal sealed class TlsConnection : IConnection, IActivityTracker, IReasonedClose
{
    private readonly IConnection _transport;
    private readonly SslStream _ssl;
    private readonly CipherStream _cipher;
    private readonly Lock _sendLock = new();
    private bool _open;         // the handshake is done: sends may go
    private bool _closeNotified;

    public TlsConnection(IConnection transport, SslStream ssl, CipherStream cipher)
    {
        _transport = transport;
        _ssl = ssl;
        _cipher = cipher;
    }

    public long Id => _transport.Id;

    public EndPoint RemoteEndPoint => _transport.RemoteEndPoint;

    public EndPoint LocalEndPoint => _transport.LocalEndPoint;

    public ServerOptions Options => _transport.Options;

    public long PendingBytes => _transport.PendingBytes;

    public bool IsOpen => _transport.IsOpen;

    /// <summary>The handshake is done: from now on sends are encrypted and go out.</summary>
    public void Opened()
    {
        lock (_sendLock)
            _open = true;
    }

    public bool Send(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return _transport.IsOpen;
        lock (_sendLock)
        {
            if (!_open || _closeNotified || !_transport.IsOpen)
                return false;
            try
            {
                _ssl.Write(data);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or NotSupportedException)
            {
                return false; // the stream ended (an alert, a close): the connection is going
            }

            return _cipher.LastWriteAccepted;
        }
    }

    public void Close()
    {
        NotifyClose();
        _transport.Close();
    }

    void IReasonedClose.Close(DisconnectReason reason)
    {
        NotifyClose();
        if (_transport is IReasonedClose reasoned)
            reasoned.Close(reason);
        else
            _transport.Close();
    }

    public void Abort() => _transport.Abort();

    public IDisposable Schedule(TimeSpan delay, Action action) => _transport.Schedule(delay, action);

    public IDisposable Every(TimeSpan period, Action action) => _transport.Every(period, action);

    void IActivityTracker.MarkActivity() => MarkActivity();

    /// <summary>Counts as traffic for the idle timeout.</summary>
    public void MarkActivity()
    {
        if (_transport is IActivityTracker tracker)
            tracker.MarkActivity();
    }

    /// <summary>Stops sending: no more plaintext goes out after this (the connection is ending without a close_notify).</summary>
    public void Stop()
    {
        lock (_sendLock)
            _closeNotified = true;
    }

    /// <summary>Sends TLS's close_notify alert once, behind everything sent before it; later sends are refused.</summary>
    private void NotifyClose()
    {
        lock (_sendLock)
        {
            if (!_open || _closeNotified)
                return;
            _closeNotified = true;
            try
            {
                // Writes the alert through the cipher stream at once: that write never waits.
                _ssl.ShutdownAsync().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or NotSupportedException)
            {
                // Nothing more can be said on this stream; the close goes on.
            }
        }
    }
}
