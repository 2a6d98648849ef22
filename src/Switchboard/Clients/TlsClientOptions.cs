using System.Security.Cryptography.X509Certificates;

namespace Switchboard.Clients;

/// <summary>How a client checks the server's certificate (see <see cref="TlsClientConnection"/>).</summary>
public sealed class TlsClientOptions
{
    /// <summary>The host name (or address) the certificate must name; also sent to the server (SNI) when it is a name.</summary>
    public required string TargetHost { get; init; }

    /// <summary>
    /// Trust exactly these certificates as roots (a private CA), instead of the system's store;
    /// null: the system's store.
    /// </summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>Accept any certificate, unchecked: for testing only, the connection is then open to anyone in between.</summary>
    public bool SkipVerification { get; init; }
}
