using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Switchboard.Clients;

/// <summary>
/// A client's TLS session over a connected socket (<see cref="SslStream"/>), for
/// <see cref="ConsoleClient.Tls"/>: the handshake checks the server's certificate as
/// <see cref="TlsClientOptions"/> says, and a failure is a <see cref="TlsHandshakeException"/>
/// that says in one line what failed. The socket stays the caller's.
/// </summary>
public sealed class TlsClientConnection : IDisposable
{
    private TlsClientConnection(TlsFeed feed, SslStream ssl)
    {
        Feed = feed;
        Ssl = ssl;
    }

    /// <summary>The protocol agreed, e.g. <c>TLS 1.3</c>.</summary>
    public string Protocol => Ssl.SslProtocol switch
    {
        SslProtocols.Tls12 => "TLS 1.2",
        SslProtocols.Tls13 => "TLS 1.3",
        var other => other.ToString(),
    };

    /// <summary>The cipher suite agreed, e.g. <c>TLS_AES_256_GCM_SHA384</c>.</summary>
    public string CipherSuite => Ssl.NegotiatedCipherSuite.ToString();

    internal TlsFeed Feed { get; }

    internal SslStream Ssl { get; }

    /// <summary>Makes the TLS handshake over <paramref name="socket"/>, connected to the server.</summary>
    /// <param name="socket">Connected; stays open and the caller's.</param>
    /// <param name="options">The host name and what to trust.</param>
    /// <param name="cancellation">Gives up the handshake (a deadline).</param>
    /// <exception cref="TlsHandshakeException">The handshake failed; the message says what failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public static async Task<TlsClientConnection> AuthenticateAsync(Socket socket, TlsClientOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(options);
        var feed = new TlsFeed(socket);
        (TlsFailure Kind, string Text)? rejected = null;
        var ssl = new SslStream(feed, leaveInnerStreamOpen: true);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = options.TargetHost,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (options.SkipVerification || errors == SslPolicyErrors.None)
                    return true;
                rejected = Explain(options.TargetHost, certificate, chain, errors);
                return false;
            },
        };
        if (options.TrustedRoots is { } roots)
        {
            // No revocation check: a policy of one's own checks revocation online unless told not
            // to, and a private CA's certificates seldom name a CRL anyone can reach.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(roots);
            authentication.CertificateChainPolicy = policy;
        }

        try
        {
            await ssl.AuthenticateAsClientAsync(authentication, cancellation).ConfigureAwait(false);
            return new TlsClientConnection(feed, ssl);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            ssl.Dispose();
            if (rejected is { } why)
                throw new TlsHandshakeException(why.Kind, why.Text, e);
            throw Unexpected(feed, e);
        }
        catch
        {
            ssl.Dispose();
            throw;
        }
    }

    /// <summary>Ends the TLS session (the socket is left open).</summary>
    public void Dispose() => Ssl.Dispose();

    /// <summary>Sends <paramref name="data"/> encrypted; a failure is left for the receiving side to report.</summary>
    internal bool TryWrite(ReadOnlySpan<byte> data)
    {
        try
        {
            Ssl.Write(data);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Says <c>close_notify</c> (no more data from here); the caller then shuts the socket's sending side.</summary>
    internal void TryCloseSending()
    {
        try
        {
            Ssl.ShutdownAsync().GetAwaiter().GetResult(); // writes through the feed, which sends synchronously when fed
        }
        catch (IOException)
        {
            // already gone: the receive side reports it
        }
    }

    /// <summary>A failed read of the session, as a reason for <c>Problem occurred</c>.</summary>
    internal static string Describe(IOException e) =>
        e.InnerException is SocketException socketError ? ReadyReceive.Describe(socketError.SocketErrorCode) : $"TLS error: {e.Message}";

    private static string Utc(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static (TlsFailure, string) Explain(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return (TlsFailure.Untrusted, "the server sent no certificate");
        using var server = new X509Certificate2(certificate);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return (TlsFailure.NameMismatch, $"certificate name mismatch: the certificate is for {Names(server)}, not {host}");
        var status = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
        if (status.HasFlag(X509ChainStatusFlags.NotTimeValid))
        {
            // The certificate out of date: the server's own, or a CA's above it.
            var stale = chain?.ChainElements.FirstOrDefault(e => e.ChainElementStatus.Any(s => s.Status.HasFlag(X509ChainStatusFlags.NotTimeValid)))?.Certificate ?? server;
            string which = stale.Thumbprint == server.Thumbprint ? "certificate" : $"the CA certificate {stale.Subject} above it";
            return stale.NotAfter < DateTime.Now
                ? (TlsFailure.Expired, $"{which} expired: it was valid until {Utc(stale.NotAfter)}")
                : (TlsFailure.Expired, $"{which} not valid yet: it is valid from {Utc(stale.NotBefore)}");
        }

        if (status.HasFlag(X509ChainStatusFlags.UntrustedRoot) || status.HasFlag(X509ChainStatusFlags.PartialChain))
        {
            string issuer = server.Issuer == server.Subject ? $"self-signed ({server.Subject})" : $"issued by {server.Issuer}";
            return (TlsFailure.Untrusted, $"certificate not trusted: {issuer}, not from a trusted CA");
        }

        string detail = chain?.ChainStatus.FirstOrDefault(s => s.Status != X509ChainStatusFlags.NoError).StatusInformation.Trim() ?? errors.ToString();
        return (TlsFailure.Untrusted, $"certificate not accepted: {detail}");
    }

    private static string Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension alternative)
            {
                names.AddRange(alternative.EnumerateDnsNames());
                names.AddRange(alternative.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }

        if (names.Count == 0)
            names.Add(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        return string.Join(", ", names);
    }

    /// <summary>A handshake that failed without a certificate to blame: does the server speak TLS at all?</summary>
    private static TlsHandshakeException Unexpected(TlsFeed feed, Exception e)
    {
        var received = feed.FirstReceived;
        var sent = feed.FirstSent;
        if (received.IsEmpty)
            return new TlsHandshakeException(TlsFailure.Handshake, "the server closed the connection during the TLS handshake (is it a TLS port?)", e);
        if (received.Length >= 5 && sent.Length >= 5 && received[..5].SequenceEqual(sent[..5]))
            return new TlsHandshakeException(TlsFailure.NotTls, "the server does not speak TLS: it sent the TLS hello back (an echo server?)", e);
        // A TLS record starts with its type: change_cipher_spec, alert, handshake or application data (20-23), then version 3.x.
        if (received[0] is < 20 or > 23 || (received.Length > 1 && received[1] != 3))
            return new TlsHandshakeException(TlsFailure.NotTls, $"the server does not speak TLS: it answered in plain text (\"{Printable(received)}…\")", e);
        string reason = (e.InnerException ?? e).Message.TrimEnd('.');
        return new TlsHandshakeException(TlsFailure.Handshake, $"TLS handshake failed: {reason}", e);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes)
            text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        return text.ToString();
    }
}
