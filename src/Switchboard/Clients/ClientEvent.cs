namespace Switchboard.Clients;

/// <summary>What one wait of a <see cref="IClientWaiter"/> produced.</summary>
internal enum ClientEventKind
{
    Received,
    RemoteClosed,
    Failed,
    Input,
    InputEnded,
}

/// <summary>An event with its bytes (received or typed) or its failure reason.</summary>
internal readonly record struct ClientEvent(ClientEventKind Kind, ReadOnlyMemory<byte> Data = default, string? Reason = null);
