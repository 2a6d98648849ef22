using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>Sends back every byte it receives, unchanged.</summary>
public sealed class EchoProtocol : Protocol
{
    /// <inheritdoc />
    public override void OnReceived(ReadOnlySpan<byte> data) => Connection.Send(data);
}
