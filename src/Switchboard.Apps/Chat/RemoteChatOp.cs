namespace Switchboard.Apps.Chat;

/// <summary>The <see cref="IChatHub"/> calls, as they travel from a forking server's workers to its parent.</summary>
internal enum RemoteChatOp : byte
{
    Nick = 1,
    Join,
    Say,
    Act,
    Whisper,
    ListRooms,
    ListWho,
    Leave,
    Tell,
}
