using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Switchboard.Tests.Support;

/// <summary>A TLS client over loopback that trusts exactly one test certificate (its own CA), for host name <c>localhost</c>.</summary>
public sealed class TlsTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;

    private TlsTestClient(TcpClient tcp, SslStream stream)
    {
        _tcp = tcp;
        Stream = stream;
    }

    public SslStream Stream { get; }

    public string? ServerThumbprint => Stream.RemoteCertificate is { } c ? new X509Certificate2(c).Thumbprint : null;

    public static async Task<TlsTestClient> ConnectAsync(IPEndPoint endPoint, TestCertificate trusted)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint).WaitAsync(Timeouts.Quick);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { trusted.Certificate },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        };
        await ssl.AuthenticateAsClientAsync(options).WaitAsync(Timeouts.Quick);
        return new TlsTestClient(tcp, ssl);
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        await Stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Timeouts.Patient);
        return buffer;
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _tcp.Dispose();
    }
}
