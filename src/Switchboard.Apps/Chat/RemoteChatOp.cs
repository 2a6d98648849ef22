namespace Switchboard.Apps.Chat;

/// <summary>
/// The <see cref="IChatHub"/> calls, as they travel from a forking server's workers to its parent;
/// <see cref="ManyRooms"/> is or-ed in for a member of <see cref="ChatMember.ManyRooms"/>.
/// </summary>
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
    Part,
    TopicAsk,
    TopicSet,
    Whois,
    Away,
    PartAll,

    /// <summary>Not a call: the flag of a member who may be in several rooms.</summary>
    ManyRooms = 0x80,

    /// <summary>Not a call: the flag of talk or a private message sent as an IRC NOTICE.</summary>
    Notice = 0x20,

    /// <summary>Not a call: the flag of a member whose own talk comes back to them (<see cref="ChatMember.EchoesOwnTalk"/>), as of this call.</summary>
    EchoesOwnTalk = 0x40,
}
