using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Switchboard.Tls;

/// <summary>
/// The certificate a TLS listener presents, read from files: a PEM certificate (the server's
/// first, then any intermediates) with its PEM private key, or one PKCS#12 file without a
/// password. A server holds one for its whole life (<see cref="ServerOptions.Tls"/>); a reload
/// puts a newer one in its place with <see cref="ReplaceWith"/>, and every handshake from then on
/// presents it, while connections already encrypted keep theirs. Thread-safe.
/// </summary>
public sealed class ServerCertificate
{
    private volatile Loaded _current;

    private ServerCertificate(Loaded loaded) => _current = loaded;

    /// <summary>The server's certificate in force (with its private key).</summary>
    public X509Certificate2 Certificate => _current.Certificate;

    /// <summary>The certificate file it was read from.</summary>
    public string CertificatePath => _current.CertificatePath;

    /// <summary>The key file it was read from; null when the certificate file holds the key (PKCS#12, or PEM with both).</summary>
    public string? KeyPath => _current.KeyPath;

    /// <summary>What a TLS server presents: the certificate and the intermediates read with it (for an <see cref="SslServerAuthenticationOptions"/>).</summary>
    public SslStreamCertificateContext Context => _current.Context;

    /// <summary>
    /// Reads a certificate and its key. <paramref name="keyPath"/> null: the certificate file
    /// holds both, as PKCS#12 (without a password) or as PEM. Refuses, with a one-line reason, a
    /// file that cannot be read, holds no certificate, a key that does not belong to the
    /// certificate or is encrypted, and a certificate that has expired or is not valid yet.
    /// </summary>
    /// <param name="certificatePath">The certificate file: PEM (server certificate first, then intermediates) or PKCS#12.</param>
    /// <param name="keyPath">The private key file (PEM, PKCS#8 or the algorithm's own form), or null.</param>
    /// <param name="checkDates">
    /// Refuse a certificate that has expired or is not valid yet (the default). False for a
    /// process that serves what another already checked (a forking worker: its parent checked at
    /// start and at each reload, and a certificate that expires meanwhile must not stop workers
    /// from starting).
    /// </param>
    /// <param name="clock">Where "now" comes from for the validity check; the system's by default.</param>
    /// <exception cref="ServerCertificateException">The files cannot be used; the message says why, in one line.</exception>
    public static ServerCertificate Load(string certificatePath, string? keyPath = null, bool checkDates = true, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        return new ServerCertificate(Loaded.Read(certificatePath, keyPath, checkDates ? clock ?? TimeProvider.System : null));
    }

    /// <summary>Puts <paramref name="newer"/>'s certificate in force for every handshake from now on.</summary>
    public void ReplaceWith(ServerCertificate newer)
    {
        ArgumentNullException.ThrowIfNull(newer);
        _current = newer._current;
    }

    /// <summary>One line for logs: subject, expiry and the start of the SHA-256 fingerprint.</summary>
    public override string ToString()
    {
        var certificate = Certificate;
        return $"{certificate.Subject}, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC, SHA-256 {certificate.GetCertHashString(HashAlgorithmName.SHA256)[..16]}…";
    }

    private sealed record Loaded(X509Certificate2 Certificate, SslStreamCertificateContext Context, string CertificatePath, string? KeyPath)
    {
        public static Loaded Read(string certificatePath, string? keyPath, TimeProvider? clock)
        {
            byte[] bytes = ReadFile(certificatePath, "certificate");
            var (certificate, intermediates) = LooksLikePem(bytes)
                ? ReadPem(certificatePath, bytes, keyPath)
                : (keyPath is null ? ReadPkcs12(certificatePath, bytes) : throw new ServerCertificateException($"{certificatePath} is not a PEM certificate (a PKCS#12 file holds its own key: give no key file)"));
            if (clock is not null)
                CheckValidity(certificatePath, certificate, clock.GetUtcNow());
            var context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
            return new Loaded(certificate, context, certificatePath, keyPath);
        }

        private static byte[] ReadFile(string path, string what)
        {
            try
            {
                return File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new ServerCertificateException($"cannot read the TLS {what} file {path}: {e.Message}");
            }
        }

        private static bool LooksLikePem(byte[] bytes) =>
            System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024)).Contains("-----BEGIN ", StringComparison.Ordinal);

        private static (X509Certificate2, X509Certificate2Collection) ReadPem(string certificatePath, byte[] bytes, string? keyPath)
        {
            string text = System.Text.Encoding.UTF8.GetString(bytes);
            var all = new X509Certificate2Collection();
            try
            {
                all.ImportFromPem(text);
            }
            catch (CryptographicException e)
            {
                throw new ServerCertificateException($"{certificatePath} holds a malformed certificate: {e.Message}");
            }

            if (all.Count == 0)
                throw new ServerCertificateException($"{certificatePath} holds no certificate (expected PEM \"BEGIN CERTIFICATE\" or a PKCS#12 file)");

            string keyText;
            string keyFile;
            if (keyPath is null)
            {
                if (!text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                    throw new ServerCertificateException($"{certificatePath} holds no private key: give the key file too (--tls-key)");
                keyText = text;
                keyFile = certificatePath;
            }
            else
            {
                keyText = System.Text.Encoding.UTF8.GetString(ReadFile(keyPath, "key"));
                keyFile = keyPath;
            }

            if (keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal) || keyText.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
                throw new ServerCertificateException($"the key in {keyFile} is encrypted: give it unencrypted (openssl pkey -in {keyFile} -out plain-key.pem), readable only by the server's user");

            // The server's certificate is the one the key belongs to: usually the first, but a
            // bundle may list the intermediates first.
            ServerCertificateException? first = null;
            foreach (var candidate in all)
            {
                try
                {
                    var leaf = WithKey(candidate, keyText, keyFile, certificatePath);
                    var intermediates = new X509Certificate2Collection();
                    foreach (var other in all)
                    {
                        if (!ReferenceEquals(other, candidate))
                            intermediates.Add(other);
                    }

                    return (leaf, intermediates);
                }
                catch (ServerCertificateException e)
                {
                    first ??= e; // the first certificate's reason is the one to give
                }
            }

            throw first!;
        }

        private static X509Certificate2 WithKey(X509Certificate2 leaf, string keyText, string keyFile, string certificatePath)
        {
            string algorithm = leaf.PublicKey.Oid.Value ?? "";
            AsymmetricAlgorithm key = algorithm switch
            {
                "1.2.840.113549.1.1.1" => RSA.Create(),
                "1.2.840.10045.2.1" => ECDsa.Create(),
                _ => throw new ServerCertificateException($"the certificate in {certificatePath} has a {leaf.PublicKey.Oid.FriendlyName ?? algorithm} key; RSA and ECDSA are supported"),
            };
            using (key)
            {
                try
                {
                    key.ImportFromPem(keyText);
                }
                catch (Exception e) when (e is ArgumentException or CryptographicException)
                {
                    throw new ServerCertificateException($"{keyFile} holds no {leaf.PublicKey.Oid.FriendlyName} private key, the certificate's kind ({e.Message.TrimEnd('.')})");
                }

                try
                {
                    return key is RSA rsa ? leaf.CopyWithPrivateKey(rsa) : leaf.CopyWithPrivateKey((ECDsa)key);
                }
                catch (Exception e) when (e is ArgumentException or CryptographicException)
                {
                    throw new ServerCertificateException($"the key in {keyFile} does not belong to the certificate in {certificatePath}");
                }
            }
        }

        private static (X509Certificate2, X509Certificate2Collection) ReadPkcs12(string certificatePath, byte[] bytes)
        {
            X509Certificate2Collection all;
            try
            {
                all = X509CertificateLoader.LoadPkcs12Collection(bytes, password: null, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (CryptographicException e)
            {
                string why = e.Message.Contains("password", StringComparison.OrdinalIgnoreCase)
                    ? "it is protected by a password; export it without one (openssl pkcs12 … -passout pass:)"
                    : "it is neither PEM nor a PKCS#12 file without a password";
                throw new ServerCertificateException($"cannot use {certificatePath}: {why}");
            }

            var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
                ?? throw new ServerCertificateException($"{certificatePath} holds no certificate with its private key");
            var intermediates = new X509Certificate2Collection();
            foreach (var other in all)
            {
                if (!ReferenceEquals(other, leaf))
                    intermediates.Add(other);
            }

            return (leaf, intermediates);
        }

        private static void CheckValidity(string certificatePath, X509Certificate2 certificate, DateTimeOffset now)
        {
            if (now > certificate.NotAfter.ToUniversalTime())
                throw new ServerCertificateException($"the certificate in {certificatePath} ({certificate.Subject}) expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC");
            if (now < certificate.NotBefore.ToUniversalTime())
                throw new ServerCertificateException($"the certificate in {certificatePath} ({certificate.Subject}) is not valid until {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC");
        }
    }
}
