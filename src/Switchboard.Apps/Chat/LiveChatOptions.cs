namespace Switchboard.Apps.Chat;

/// <summary>
/// The chat's settings in force for the connections of one server: read afresh where each is
/// used (the pace of the next line, a newcomer's name deadline), so that a reload reaches the
/// connections already open. Replaced whole, never changed in part.
/// </summary>
internal sealed class LiveChatOptions(ChatOptions initial)
{
    private ChatOptions _current = initial;

    public ChatOptions Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }
}
