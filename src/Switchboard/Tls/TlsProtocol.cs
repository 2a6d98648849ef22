using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols;

namespace Switchboard.Tls;

/// <summary>
/// TLS between an engine's connection and the app's protocol, the same on every engine: this
/// protocol takes the engine's bytes, runs them through an <see cref="SslStream"/> over a
/// <see cref="CipherStream"/>, and gives the app's protocol (<c>inner</c>) the plaintext, on a
/// <see cref="TlsConnection"/> whose sends are encrypted.
/// <para>
/// The app's callbacks run inside this protocol's, so under the engine connection's
/// serialisation: the SslStream's reads complete inline when bytes are pushed, and
/// <see cref="Pump"/> looks at them right after. The app's <c>OnConnected</c> runs once the
/// handshake is done, and its <c>OnDisconnected</c> only if it did. A handshake must finish
/// within <see cref="HandshakeTimeout"/>; a client that speaks plain text to the port is told so
/// in one plain line and closed; either is logged in one line, and the server serves on.
/// </para>
/// </summary>
#pragma warning disable CA1001 // The stream and the SslStream are disposed at the connection's end, in OnDisconnected.
internal sealed partial class TlsProtocol : Protocol
#pragma warning restore CA1001
{
    /// <summary>How long a client has to finish its handshake.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What a client may send before its handshake is done (a ClientHello is a few hundred bytes).</summary>
    private const int MaxBufferedBeforeHandshake = 64 * 1024;

    /// <summary>What the SslStream may be handed at once; it decrypts a record (≤ 16 KiB) per read.</summary>
    private const int MaxBufferedOpen = 1024 * 1024;

    /// <summary>The plaintext read at once; SslStream copies out of its decrypted record in pieces this big.</summary>
    private const int PlainBufferSize = 4096;

    private const byte HandshakeRecord = 22;

    private static readonly byte[] PlainTextRefusal =
        Encoding.ASCII.GetBytes("error: this port speaks TLS; connect with TLS (switchboard connect --tls, openssl s_client)\n");

    private readonly Protocol _inner;
    private readonly ServerCertificate _certificate;
    private readonly ILogger _logger;
    private CipherStream? _cipher;
    private SslStream? _ssl;
    private TlsConnection? _connection;
    private Task? _handshake;
    private ValueTask<int> _read;
    private bool _reading;   // _read is a read under way
    private bool _watching;  // a continuation waits on the operation under way (see Watch)
    private byte[] _plain = [];
    private IDisposable? _handshakeTimer;
    private Phase _phase;

    public TlsProtocol(Protocol inner, ServerCertificate certificate, ILogger logger)
    {
        _inner = inner;
        _certificate = certificate;
        _logger = logger;
    }

    private enum Phase
    {
        Handshaking,
        Open,
        Ended,
    }

    /// <summary>Activity is plaintext: the app's own reports, or else every decrypted byte; never a handshake's.</summary>
    internal override bool ReportsOwnActivity => true;

    public override void OnConnected()
    {
        _cipher = new CipherStream(Connection, MaxBufferedBeforeHandshake);
        _ssl = new SslStream(_cipher, leaveInnerStreamOpen: true);
        _connection = new TlsConnection(Connection, _ssl, _cipher);
        _inner.Attach(_connection);
        _handshakeTimer = Connection.Schedule(HandshakeTimeout, OnHandshakeTimedOut);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _certificate.Context,
            ClientCertificateRequired = false,
            AllowRenegotiation = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        _handshake = _ssl.AuthenticateAsServerAsync(options, CancellationToken.None);
        Pump();
    }

    public override void OnReceived(ReadOnlySpan<byte> data)
    {
        if (_phase == Phase.Ended || data.IsEmpty)
            return;
        if (_phase == Phase.Handshaking && _cipher!.FirstByte < 0 && data[0] != HandshakeRecord)
        {
            SpokePlainText(data[0]); // no TLS client starts otherwise: say so now, not at the handshake's deadline
            return;
        }

        bool taken;
        lock (_connection!.StreamLock) // decrypting (inline, in Push) never overlaps another thread's close_notify
            taken = _cipher!.Push(data);
        if (!taken)
        {
            Fail(_phase == Phase.Handshaking
                ? $"sent {_cipher.Buffered + data.Length} bytes before its handshake was done"
                : "more bytes waited than TLS could decrypt");
            return;
        }

        Pump();
    }

    public override void OnShutdown()
    {
        if (_phase != Phase.Open)
            return;
        _inner.OnShutdown();
        _connection!.NotifyClose(); // the engine closes next: the goodbye is the last line, and the client can tell
    }

    public override void OnDisconnected(DisconnectReason reason)
    {
        bool wasOpen = _phase == Phase.Open;
        _phase = Phase.Ended;
        _handshakeTimer?.Dispose();
        if (_connection is not null)
        {
            lock (_connection.StreamLock) // the SslStream sees the end (a read under way returns 0), as it sees every push
            {
                _connection.Stop();
                _cipher!.End(); // Pump no longer looks
            }
        }

        _ = _handshake?.Exception; // observed: a handshake cut short fails here, and nobody needs to hear it
        if (wasOpen)
            _inner.OnDisconnected(reason);
        _connection?.Release();
    }

    /// <summary>
    /// Moves the handshake and then the reads on as far as the bytes pushed allow: the app's
    /// <c>OnConnected</c> once the handshake completes, its <c>OnReceived</c> per decrypted chunk.
    /// An exception the app throws goes on up to the engine, which ends the connection with it.
    /// </summary>
    private void Pump()
    {
        if (_phase == Phase.Handshaking)
        {
            if (!_handshake!.IsCompleted)
            {
                Watch(_handshake);
                return;
            }

            _watching = false;
            if (!_handshake.IsCompletedSuccessfully)
            {
                HandshakeFailed(_handshake.Exception?.InnerException);
                return;
            }

            _phase = Phase.Open;
            _handshakeTimer?.Dispose();
            _plain = new byte[PlainBufferSize];
            _cipher!.MaxBuffered = MaxBufferedOpen;
            _connection!.Opened();
            _inner.OnConnected();
        }

        // As the engine's own delivery, none once the connection is closing (the app closed it).
        while (_phase == Phase.Open && Connection.IsOpen)
        {
            if (!_reading)
            {
                lock (_connection!.StreamLock) // decrypts what is already buffered
                {
#pragma warning disable CA2012 // Kept to be looked at after the next push; consumed once, by GetResult below.
                    _read = _ssl!.ReadAsync(_plain);
#pragma warning restore CA2012
                }

                _reading = true;
            }

            if (!_read.IsCompleted)
            {
                if (!_cipher!.IsReadPending && !_watching)
                {
                    // Rare (see Watch): the ValueTask becomes a Task, which may be watched and read.
                    var task = _read.AsTask();
                    _read = new ValueTask<int>(task);
                    Watch(task);
                }

                return;
            }

            _reading = false;
            _watching = false;
            int n;
            try
            {
                n = _read.GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or AuthenticationException or InvalidOperationException)
            {
                Fail(Innermost(e));
                return;
            }

            if (n == 0)
            {
                // The peer's close_notify (or its FIN, which the engine sees next anyway): answer
                // and close, for a peer that keeps TCP open until it hears ours.
                _connection!.ClosedByPeer();
                return;
            }

            if (!_inner.ReportsOwnActivity)
                _connection!.MarkActivity();
            _inner.OnReceived(_plain.AsSpan(0, n));
        }
    }

    /// <summary>
    /// For an operation not done after a push: if the SslStream does not wait for the peer (it
    /// goes on elsewhere, which .NET's SslStream does not do today), pump again under the
    /// connection's serialisation (a timer) when it finishes, so nothing stalls.
    /// </summary>
    private void Watch(Task operation)
    {
        if (_cipher!.IsReadPending || _watching)
            return;
        _watching = true;
        operation.ContinueWith(
            static (_, state) =>
            {
                var self = (TlsProtocol)state!;
                self.Connection.Schedule(TimeSpan.Zero, self.PumpFromTimer);
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void PumpFromTimer()
    {
        _watching = false;
        if (_phase != Phase.Ended)
            Pump();
    }

    private void OnHandshakeTimedOut()
    {
        if (_phase != Phase.Handshaking)
            return;
        Log.HandshakeTimedOut(_logger, Connection.RemoteEndPoint, HandshakeTimeout.TotalSeconds);
        End();
    }

    private void HandshakeFailed(Exception? error)
    {
        if (_phase == Phase.Ended)
            return;
        Log.HandshakeFailed(_logger, Connection.RemoteEndPoint, error is null ? "the handshake ended" : Innermost(error));
        End();
    }

    /// <summary>A client whose first byte starts no TLS record: told in one plain line (if it looks like text) and closed.</summary>
    private void SpokePlainText(byte first)
    {
        Log.NotTls(_logger, Connection.RemoteEndPoint, first);
        if (first is >= 0x20 and < 0x7f)
            Connection.Send(PlainTextRefusal);
        End();
    }

    private void Fail(string why)
    {
        if (_phase == Phase.Ended)
            return;
        Log.Failed(_logger, Connection.RemoteEndPoint, why);
        End();
    }

    /// <summary>Ends the connection from the TLS layer: what was queued (an alert, a plain-text line) still goes.</summary>
    private void End()
    {
        // Once the app saw OnConnected, OnDisconnected follows from the engine, with the reason.
        if (_phase != Phase.Open)
        {
            _phase = Phase.Ended;
            _handshakeTimer?.Dispose();
            _ = _handshake?.Exception; // observed: its failure was logged, or it never ends
        }

        _connection!.CloseTransport(DisconnectReason.ProtocolError);
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e.Message.TrimEnd('.');
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 313, Level = LogLevel.Information, Message = "{Remote}: TLS failed ({Error}); closing")]
        public static partial void Failed(ILogger logger, System.Net.EndPoint remote, string error);

        [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "{Remote}: TLS handshake failed ({Error})")]
        public static partial void HandshakeFailed(ILogger logger, System.Net.EndPoint remote, string error);

        [LoggerMessage(EventId = 311, Level = LogLevel.Information, Message = "{Remote} did not finish its TLS handshake within {Seconds} s")]
        public static partial void HandshakeTimedOut(ILogger logger, System.Net.EndPoint remote, double seconds);

        [LoggerMessage(EventId = 312, Level = LogLevel.Information, Message = "{Remote} spoke something else than TLS to a TLS port (first byte 0x{First:x2}); closed")]
        public static partial void NotTls(ILogger logger, System.Net.EndPoint remote, byte first);
    }
}
