namespace Switchboard.Hosting;

/// <summary>Receives one message of a prefork server's shared-state channel. The span is valid only during the call.</summary>
/// <param name="message">The bytes the other side sent.</param>
public delegate void MessageHandler(ReadOnlySpan<byte> message);
