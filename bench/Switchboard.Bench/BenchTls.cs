using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Switchboard.Bench;

/// <summary>
/// <c>--tls</c>: what the load's connections trust and how they shake hands. For a server the bench
/// starts, a self-signed certificate made at start (ECDSA P-256, valid for 127.0.0.1, ::1 and
/// localhost) written as PEM into a temporary directory that <see cref="Dispose"/> deletes; the
/// load then trusts exactly that certificate. For <c>--target</c>, what <c>--tls-ca</c> names, or
/// the system's store. Every handshake is a full one (no session resumption), so that the
/// connections scenario measures what a new client costs.
/// </summary>
internal sealed class BenchTls : IDisposable
{
    private readonly X509ChainPolicy? _policy;
    private readonly string? _directory;

    private BenchTls(string targetHost, X509ChainPolicy? policy, string? directory)
    {
        TargetHost = targetHost;
        _policy = policy;
        _directory = directory;
    }

    /// <summary>The name the server's certificate must carry.</summary>
    public string TargetHost { get; }

    /// <summary>The server's certificate in PEM, for <c>serve --tls-cert</c>; null for a target.</summary>
    public string? CertPath => _directory is null ? null : Path.Combine(_directory, "cert.pem");

    /// <summary>The server's key in PEM (PKCS#8), for <c>serve --tls-key</c>; null for a target.</summary>
    public string? KeyPath => _directory is null ? null : Path.Combine(_directory, "key.pem");

    /// <summary>Makes the certificate for the servers the bench starts, in a new temporary directory.</summary>
    public static BenchTls CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=switchboard-bench", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server authentication
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));

        string directory = Directory.CreateTempSubdirectory("switchboard-bench-tls-").FullName;
        var tls = new BenchTls("127.0.0.1", Trusting([X509CertificateLoader.LoadCertificate(certificate.RawData)]), directory);
        File.WriteAllText(tls.CertPath!, certificate.ExportCertificatePem());
        File.WriteAllText(tls.KeyPath!, key.ExportPkcs8PrivateKeyPem());
        return tls;
    }

    /// <summary>For <c>--target</c>: trust the certificates in <paramref name="caFile"/> (PEM), or the system's store when null.</summary>
    /// <exception cref="BenchException">The file cannot be read or holds no certificate.</exception>
    public static BenchTls ForTarget(string targetHost, string? caFile)
    {
        if (caFile is null)
            return new BenchTls(targetHost, null, null);
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new BenchException($"--tls-ca: cannot read {caFile}: {e.Message.TrimEnd('.')}");
        }

        if (roots.Count == 0)
            throw new BenchException($"--tls-ca: no certificate in {caFile} (expected PEM: -----BEGIN CERTIFICATE-----)");
        return new BenchTls(targetHost, Trusting(roots), null);
    }

    /// <summary>The handshake over a connected socket; the stream owns the socket's I/O from then on.</summary>
    /// <exception cref="BenchException">The handshake failed (untrusted certificate, not a TLS server).</exception>
    public async Task<SslStream> AuthenticateAsync(Socket socket, CancellationToken cancellation)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(Options(), cancellation).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new BenchException($"TLS handshake with {socket.RemoteEndPoint} failed: {(e.InnerException ?? e).Message.TrimEnd('.')} (does the server speak TLS with the certificate the load trusts?)", e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary><see cref="AuthenticateAsync"/> for a blocking connect loop, bounded by <paramref name="cancellation"/> (its timeout, and Ctrl-C).</summary>
    public SslStream Authenticate(Socket socket, CancellationToken cancellation) => AuthenticateAsync(socket, cancellation).GetAwaiter().GetResult();

    public void Dispose()
    {
        if (_directory is null)
            return;
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a file still open elsewhere, or not ours to delete: the temporary directory is left behind
        }
    }

    private SslClientAuthenticationOptions Options() => new()
    {
        TargetHost = TargetHost,
        AllowTlsResume = false, // every handshake a full one
        CertificateChainPolicy = _policy,
    };

    private static X509ChainPolicy Trusting(X509Certificate2Collection roots)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck }; // no CRL fetched per handshake
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }
}
