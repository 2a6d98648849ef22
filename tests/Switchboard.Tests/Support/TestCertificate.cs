using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Switchboard.Tests.Support;

/// <summary>
/// A self-signed server certificate made for one test, written as PEM (certificate, key) and as
/// one PKCS#12 file without a password into a directory of its own, deleted on dispose. Valid for
/// <c>localhost</c>, 127.0.0.1 and ::1; the certificate is its own CA, so a client trusts it with
/// <c>--ca CertPath</c> (or <c>openssl s_client -CAfile</c>).
/// </summary>
public sealed class TestCertificate : IDisposable
{
    private TestCertificate(string directory, X509Certificate2 certificate)
    {
        Directory = directory;
        Certificate = certificate;
    }

    /// <summary>The directory holding the files.</summary>
    public string Directory { get; }

    /// <summary>The certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate in PEM (<c>cert.pem</c>).</summary>
    public string CertPath => Path.Combine(Directory, "cert.pem");

    /// <summary>The private key in PEM, PKCS#8 (<c>key.pem</c>).</summary>
    public string KeyPath => Path.Combine(Directory, "key.pem");

    /// <summary>Certificate and key in one PKCS#12 file without a password (<c>cert.p12</c>).</summary>
    public string Pkcs12Path => Path.Combine(Directory, "cert.p12");

    /// <summary>
    /// Makes a certificate for <paramref name="subject"/> (also its DNS name), valid from
    /// <paramref name="notBefore"/> (default: a day ago) to <paramref name="notAfter"/> (default:
    /// a year from now), with an ECDSA P-256 key.
    /// </summary>
    public static TestCertificate Create(string subject = "localhost", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = ServerRequest(subject, key, authority: true);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        var until = notAfter ?? DateTimeOffset.UtcNow.AddYears(1);
        return Save(request.CreateSelfSigned(from, until), key);
    }

    /// <summary>
    /// A server certificate for <paramref name="subject"/> (and 127.0.0.1, ::1) issued by this one
    /// as its CA, as a private CA issues them: a client trusts it with <c>--ca</c> this
    /// certificate's <see cref="CertPath"/>. Its own files hold it alone (no chain).
    /// </summary>
    public TestCertificate Issue(string subject = "localhost")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = ServerRequest(subject, key, authority: false);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        byte[] serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        using var issued = request.Create(Certificate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        return Save(issued.CopyWithPrivateKey(key), key);
    }

    /// <summary>A request for a server certificate of <paramref name="subject"/>: its names (also 127.0.0.1, ::1), server authentication, and whether it may issue others.</summary>
    private static CertificateRequest ServerRequest(string subject, ECDsa key, bool authority)
    {
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(subject);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: authority, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        var usage = authority ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign : X509KeyUsageFlags.DigitalSignature;
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server authentication
        return request;
    }

    /// <summary>Writes <paramref name="certificate"/> and <paramref name="key"/> into a directory of their own: PEM both, and PKCS#12.</summary>
    private static TestCertificate Save(X509Certificate2 certificate, ECDsa key)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("switchboard-cert-").FullName;
        var made = new TestCertificate(directory, certificate);
        File.WriteAllText(made.CertPath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(made.KeyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllBytes(made.Pkcs12Path, certificate.Export(X509ContentType.Pkcs12));
        return made;
    }

    public void Dispose()
    {
        Certificate.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere: the temporary directory is left behind.
        }
    }
}
