using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// One person in the chat, as the <see cref="IChatHub"/> sees them: a name, a room, and a way to
/// deliver bytes to their connection. Created by the chat protocol; the hub sets
/// <see cref="Nick"/> and <see cref="Room"/>.
/// </summary>
public sealed class ChatMember
{
    private readonly IConnection _connection;

    /// <summary>Creates a member for a connection.</summary>
    /// <param name="connection">Where their lines go.</param>
    public ChatMember(IConnection connection) => _connection = connection;

    /// <summary>Their name, once chosen with <c>/nick</c>.</summary>
    public string? Nick { get; internal set; }

    /// <summary>The room they are in, once they have a name.</summary>
    public string? Room { get; internal set; }

    /// <summary>Queues encoded lines to this member; never blocks (see <see cref="IConnection.Send"/>).</summary>
    /// <param name="line">UTF-8 bytes ending in <c>\n</c>; the same array may go to many members.</param>
    public void Deliver(ReadOnlySpan<byte> line) => _connection.Send(line);
}
