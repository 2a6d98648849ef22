namespace Switchboard.Tls;

/// <summary>A certificate or key file that cannot serve TLS; the message says why in one line, naming the file.</summary>
public sealed class ServerCertificateException : Exception
{
    /// <summary>Creates the exception with its one-line reason.</summary>
    public ServerCertificateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line reason and the error behind it.</summary>
    public ServerCertificateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a general message.</summary>
    public ServerCertificateException()
        : base("the TLS certificate cannot be used")
    {
    }
}
