namespace Switchboard.Apps.Chat;

/// <summary>The chat's backplane (Redis) cannot be reached or used at start; the message is one line for the user.</summary>
public sealed class ChatBackplaneException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChatBackplaneException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">One line for the user.</param>
    public ChatBackplaneException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">One line for the user.</param>
    /// <param name="innerException">What failed.</param>
    public ChatBackplaneException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
