namespace Switchboard.Engines.Forking;

/// <summary>Receives one message of the forking engine's shared-state channel. The span is valid only during the call.</summary>
/// <param name="message">The bytes the other side sent.</param>
public delegate void MessageHandler(ReadOnlySpan<byte> message);
