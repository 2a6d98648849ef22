namespace Switchboard;

/// <summary>A server could not start, e.g. its port is in use. The message is one line, fit to show a user.</summary>
public sealed class ServerStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ServerStartException()
    {
    }

    /// <summary>Creates the exception with a one-line message.</summary>
    /// <param name="message">What went wrong, e.g. "cannot listen on 127.0.0.1:1234: address already in use".</param>
    public ServerStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ServerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
