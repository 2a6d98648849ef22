using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// One person in the chat, as the <see cref="IChatHub"/> sees them: a name and a room (kept by
/// the hub), and a way to deliver lines to them. By default lines go to a connection; a hub that
/// serves members elsewhere (in a forking server's workers) overrides <see cref="Deliver"/>.
/// </summary>
public class ChatMember
{
    private readonly IConnection? _connection;
    private string? _nick;

    /// <summary>Creates a member whose lines go to <paramref name="connection"/>.</summary>
    /// <param name="connection">Where their lines go.</param>
    public ChatMember(IConnection connection) => _connection = connection;

    /// <summary>For subclasses that deliver elsewhere.</summary>
    protected ChatMember()
    {
    }

    /// <summary>Their name, once chosen with <c>/nick</c>. Set by the hub.</summary>
    public string? Nick
    {
        get => Volatile.Read(ref _nick);
        internal set
        {
            Volatile.Write(ref _nick, value);
            Renamed(value);
        }
    }

    /// <summary>The room they are in, once they have a name. Set by the hub.</summary>
    public string? Room { get; internal set; }

    /// <summary>Queues one encoded line to this member; never blocks.</summary>
    /// <param name="line">UTF-8 bytes ending in <c>\n</c>; the same bytes may go to many members.</param>
    public virtual void Deliver(ReadOnlySpan<byte> line) => _connection?.Send(line);

    /// <summary>
    /// Closes this member's connection once the lines delivered before are sent (a no-op if it is
    /// closed already). The hub calls it last in <see cref="IChatHub.Leave"/>, so that an answer
    /// still on its way is not cut off by the close.
    /// </summary>
    public virtual void Close() => _connection?.Close();

    /// <summary>
    /// The hub gave this member a name, or took it (null): for a member served elsewhere, whose
    /// connection wants to know (the registration deadline), to pass on.
    /// </summary>
    internal virtual void Renamed(string? nick)
    {
    }
}
