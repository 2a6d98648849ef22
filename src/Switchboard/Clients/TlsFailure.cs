namespace Switchboard.Clients;

/// <summary>What went wrong in a client's TLS handshake (see <see cref="TlsHandshakeException"/>).</summary>
public enum TlsFailure
{
    /// <summary>Something else: the server refused the handshake, no common protocol, the connection closed.</summary>
    Handshake,

    /// <summary>The certificate does not name the host connected to.</summary>
    NameMismatch,

    /// <summary>The certificate does not lead to a trusted root (self-signed, private CA not given).</summary>
    Untrusted,

    /// <summary>The certificate has expired, or is not valid yet.</summary>
    Expired,

    /// <summary>The server does not speak TLS: it answered in plain text, or echoed the hello back.</summary>
    NotTls,
}
