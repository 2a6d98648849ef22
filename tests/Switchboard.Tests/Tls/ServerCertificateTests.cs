using System.Security.Cryptography;
using Switchboard.Tests.Support;
using Switchboard.Tls;

namespace Switchboard.Tests.Tls;

/// <summary>What <see cref="ServerCertificate.Load"/> takes, and the one line it refuses the rest with.</summary>
public sealed class ServerCertificateTests : IDisposable
{
    private readonly TestCertificate _certificate = TestCertificate.Create();

    public void Dispose() => _certificate.Dispose();

    [Fact]
    public void A_PEM_certificate_and_key_a_PEM_file_with_both_and_a_PKCS12_file_all_load()
    {
        string both = Path.Combine(_certificate.Directory, "both.pem");
        File.WriteAllText(both, File.ReadAllText(_certificate.CertPath) + "\n" + File.ReadAllText(_certificate.KeyPath));

        foreach (var loaded in new[]
        {
            ServerCertificate.Load(_certificate.CertPath, _certificate.KeyPath),
            ServerCertificate.Load(both),
            ServerCertificate.Load(_certificate.Pkcs12Path),
        })
        {
            Assert.Equal(_certificate.Certificate.Thumbprint, loaded.Certificate.Thumbprint);
            Assert.True(loaded.Certificate.HasPrivateKey);
        }
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<ServerCertificateException>(() => ServerCertificate.Load(Path.Combine(_certificate.Directory, "nope.pem"), _certificate.KeyPath));
        Assert.StartsWith("cannot read the TLS certificate file ", e.Message, StringComparison.Ordinal);
        Assert.Contains("nope.pem", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_certificate_is_refused()
    {
        using var other = TestCertificate.Create();
        var e = Assert.Throws<ServerCertificateException>(() => ServerCertificate.Load(_certificate.CertPath, other.KeyPath));
        Assert.Equal($"the key in {other.KeyPath} does not belong to the certificate in {_certificate.CertPath}", e.Message);
    }

    [Fact]
    public void A_certificate_without_its_key_asks_for_the_key_file()
    {
        var e = Assert.Throws<ServerCertificateException>(() => ServerCertificate.Load(_certificate.CertPath));
        Assert.Equal($"{_certificate.CertPath} holds no private key: give the key file too (--tls-key)", e.Message);
    }

    [Fact]
    public void An_encrypted_key_is_refused_with_how_to_decrypt_it()
    {
        string encrypted = Path.Combine(_certificate.Directory, "encrypted.pem");
        using (var key = ECDsa.Create())
        {
            key.ImportFromPem(File.ReadAllText(_certificate.KeyPath));
            File.WriteAllText(encrypted, key.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
        }

        var e = Assert.Throws<ServerCertificateException>(() => ServerCertificate.Load(_certificate.CertPath, encrypted));
        Assert.StartsWith($"the key in {encrypted} is encrypted: give it unencrypted (openssl pkey", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_certificate_and_one_not_valid_yet_are_refused_with_their_dates()
    {
        using var expired = TestCertificate.Create(notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        var e = Assert.Throws<ServerCertificateException>(() => ServerCertificate.Load(expired.CertPath, expired.KeyPath));
        Assert.Matches(@"^the certificate in .* \(CN=localhost\) expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC$", e.Message);

        using var early = TestCertificate.Create(notBefore: DateTimeOffset.UtcNow.AddDays(1), notAfter: DateTimeOffset.UtcNow.AddDays(30));
        e = Assert.Throws<ServerCertificateException>(() => ServerCertificate.Load(early.CertPath, early.KeyPath));
        Assert.Matches(@"^the certificate in .* \(CN=localhost\) is not valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC$", e.Message);
    }

    [Fact]
    public void A_file_that_is_neither_PEM_nor_PKCS12_is_refused()
    {
        string junk = Path.Combine(_certificate.Directory, "junk.bin");
        File.WriteAllBytes(junk, [1, 2, 3, 4, 5]);
        var e = Assert.Throws<ServerCertificateException>(() => ServerCertificate.Load(junk));
        Assert.Equal($"cannot use {junk}: it is neither PEM nor a PKCS#12 file without a password", e.Message);
    }
}
