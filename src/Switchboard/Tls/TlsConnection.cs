using System.Net;
using System.Net.Security;
using Switchboard.Protocols;

namespace Switchboard.Tls;

/// <summary>
/// The app's view of a TLS connection: the engine's connection, whose <see cref="Send"/>
/// encrypts. Everything else (ids, addresses, limits, timers, close) is the engine connection's;
/// its output limits count encrypted bytes. <see cref="Send"/> works from any thread and never
/// blocks but on another thread's use of the same SslStream: one lock (<see cref="StreamLock"/>)
/// is held for every use of it (encrypting, decrypting, the close_notify, disposing), because a
/// close_notify is not otherwise kept apart from a decryption under way on the connection's own
/// thread, and OpenSSL's state must never be used by two threads at once.
/// </summary>
internal sealed class TlsConnection : IConnection, IActivityTracker, IReasonedClose
{
    private readonly IConnection _transport;
    private readonly SslStream _ssl;
    private readonly CipherStream _cipher;
    private readonly Lock _streamLock = new();
    private bool _open;         // the handshake is done: sends may go
    private bool _closeNotified;
    private int _writing;       // > 0 while this thread is inside the SslStream's Write (the lock is re-entrant)
    private bool _disposeAfterWrite;
    private bool _disposed;

    public TlsConnection(IConnection transport, SslStream ssl, CipherStream cipher)
    {
        _transport = transport;
        _ssl = ssl;
        _cipher = cipher;
    }

    /// <summary>Held around every use of the SslStream (see the class's remarks).</summary>
    public Lock StreamLock => _streamLock;

    public long Id => _transport.Id;

    public EndPoint RemoteEndPoint => _transport.RemoteEndPoint;

    public EndPoint LocalEndPoint => _transport.LocalEndPoint;

    public ServerOptions Options => _transport.Options;

    public long PendingBytes => _transport.PendingBytes;

    public bool IsOpen => _transport.IsOpen;

    /// <summary>The handshake is done: from now on sends are encrypted and go out.</summary>
    public void Opened()
    {
        lock (_streamLock)
            _open = true;
    }

    public bool Send(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return _transport.IsOpen;
        lock (_streamLock)
        {
            if (!_open || _closeNotified || !_transport.IsOpen)
                return false;
            _writing++;
            try
            {
                _ssl.Write(data);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or NotSupportedException)
            {
                return false; // the stream ended (an alert, a close): the connection is going
            }
            finally
            {
                WriteDone();
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
        CloseTransport(reason);
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
        lock (_streamLock)
            _closeNotified = true;
    }

    /// <summary>
    /// Lets go of the SslStream (the connection ended): at once, or, when the end came from inside
    /// a write on this thread, as that write returns.
    /// </summary>
    public void Release()
    {
        lock (_streamLock)
        {
            _closeNotified = true;
            if (_writing > 0)
                _disposeAfterWrite = true;
            else
                DisposeStream();
        }
    }

    /// <summary>
    /// Ends a write into the SslStream (a send, the close_notify). The engine may end the
    /// connection from inside it (its output over the limit): the SslStream is disposed here,
    /// once the write is out of it.
    /// </summary>
    private void WriteDone()
    {
        if (--_writing == 0 && _disposeAfterWrite)
            DisposeStream();
    }

    private void DisposeStream()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            _ssl.Dispose();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // Nothing is left to tell the peer.
        }
    }

    /// <summary>The peer said close_notify: answers it, then closes as the peer's doing (it may keep its side of TCP open, waiting for ours).</summary>
    public void ClosedByPeer()
    {
        NotifyClose();
        CloseTransport(DisconnectReason.RemoteClosed);
    }

    /// <summary>Closes the engine's connection with <paramref name="reason"/> (an engine's connection takes one; any other just closes).</summary>
    public void CloseTransport(DisconnectReason reason)
    {
        if (_transport is IReasonedClose reasoned)
            reasoned.Close(reason);
        else
            _transport.Close();
    }

    /// <summary>Sends TLS's close_notify alert once, behind everything sent before it; later sends are refused.</summary>
    public void NotifyClose()
    {
        lock (_streamLock)
        {
            if (!_open || _closeNotified)
                return;
            _closeNotified = true;
            _writing++;
            try
            {
                // Writes the alert through the cipher stream at once: that write never waits.
                _ssl.ShutdownAsync().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or NotSupportedException)
            {
                // Nothing more can be said on this stream; the close goes on.
            }
            finally
            {
                WriteDone();
            }
        }
    }
}
