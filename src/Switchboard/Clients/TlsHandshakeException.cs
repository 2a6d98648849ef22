namespace Switchboard.Clients;

/// <summary>A client's TLS handshake failed; <see cref="Exception.Message"/> says what failed, in one line.</summary>
public sealed class TlsHandshakeException : Exception
{
    /// <summary>Creates the exception with <see cref="TlsFailure.Handshake"/>.</summary>
    public TlsHandshakeException()
    {
    }

    /// <summary>Creates the exception with <see cref="TlsFailure.Handshake"/>.</summary>
    /// <param name="message">What failed, one line.</param>
    public TlsHandshakeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <see cref="TlsFailure.Handshake"/>.</summary>
    /// <param name="message">What failed, one line.</param>
    /// <param name="innerException">What the TLS layer threw.</param>
    public TlsHandshakeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="failure">What kind of failure.</param>
    /// <param name="message">What failed, one line.</param>
    /// <param name="innerException">What the TLS layer threw.</param>
    public TlsHandshakeException(TlsFailure failure, string message, Exception? innerException)
        : base(message, innerException)
    {
        Failure = failure;
    }

    /// <summary>What kind of failure.</summary>
    public TlsFailure Failure { get; }
}
