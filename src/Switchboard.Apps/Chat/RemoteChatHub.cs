using System.Buffers.Binary;
using Switchboard.Hosting;

namespace Switchboard.Apps.Chat;

/// <summary>
/// The <see cref="IChatHub"/> of a forking server's worker: every call goes to the parent over the
/// shared-state channel, where a <see cref="ChatHubHost"/> applies it to the one real hub; the
/// lines the hub delivers come back addressed to members here. Everything for a member, the
/// protocol's own errors included (<see cref="Tell"/>), takes that one path, so the member reads
/// its answers in the order of its lines; and the parent's last word on a member, after
/// <see cref="Leave"/>, is to close it, so a <c>/quit</c> loses none of the answers before it.
/// </summary>
public sealed class RemoteChatHub : IChatHub
{
    private readonly ParentChannel _parent;
    private readonly Lock _lock = new();
    private readonly Dictionary<ChatMember, long> _ids = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<long, ChatMember> _members = [];
    private long _lastId;

    /// <summary>Connects to the parent's hub; lines for this worker's members start arriving.</summary>
    /// <param name="parent">This worker's channel, <see cref="Prefork.Parent"/>.</param>
    public RemoteChatHub(ParentChannel parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        _parent = parent;
        _parent.Received = Deliver;
    }

    /// <inheritdoc />
    public void Nick(ChatMember member, string nick) => Call(RemoteChatOp.Nick, member, nick);

    /// <inheritdoc />
    public void Join(ChatMember member, string room) => Call(RemoteChatOp.Join, member, room);

    /// <inheritdoc />
    public void Part(ChatMember member, string room, string message = "") => Call(RemoteChatOp.Part, member, room, message);

    /// <inheritdoc />
    public void PartAll(ChatMember member) => Call(RemoteChatOp.PartAll, member);

    /// <inheritdoc />
    public void Say(ChatMember member, string text, string? room = null, bool notice = false) =>
        Call(notice ? RemoteChatOp.Say | RemoteChatOp.Notice : RemoteChatOp.Say, member, text, room ?? "");

    /// <inheritdoc />
    public void Act(ChatMember member, string text, string? room = null) => Call(RemoteChatOp.Act, member, text, room ?? "");

    /// <inheritdoc />
    public void Whisper(ChatMember member, string nick, string text, bool notice = false) =>
        Call(notice ? RemoteChatOp.Whisper | RemoteChatOp.Notice : RemoteChatOp.Whisper, member, nick, text);

    /// <inheritdoc />
    public void Topic(ChatMember member, string room, string? text = null) =>
        Call(text is null ? RemoteChatOp.TopicAsk : RemoteChatOp.TopicSet, member, room, text ?? "");

    /// <inheritdoc />
    public void Whois(ChatMember member, string nick) => Call(RemoteChatOp.Whois, member, nick);

    /// <inheritdoc />
    public void Away(ChatMember member, string message) => Call(RemoteChatOp.Away, member, message);

    /// <inheritdoc />
    public void ListRooms(ChatMember member) => Call(RemoteChatOp.ListRooms, member);

    /// <inheritdoc />
    public void ListWho(ChatMember member, string? room = null) => Call(RemoteChatOp.ListWho, member, room ?? "");

    /// <inheritdoc />
    public void Tell(ChatMember member, string line) => Call(RemoteChatOp.Tell, member, line);

    /// <inheritdoc />
    /// <remarks>The member stays known here until the parent's close comes back: answers may still be on their way before it.</remarks>
    public void Leave(ChatMember member, Farewell how, string message = "") =>
        Call(RemoteChatOp.Leave, member, ((int)how).ToString(System.Globalization.CultureInfo.InvariantCulture), message);

    private void Call(RemoteChatOp op, ChatMember member, string first = "", string second = "")
    {
        long id;
        lock (_lock)
        {
            if (!_ids.TryGetValue(member, out id))
            {
                id = ++_lastId;
                _ids.Add(member, id);
                _members.Add(id, member);
            }
        }

        using var message = new MemoryStream();
        using (var writer = new BinaryWriter(message, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write((byte)(op | (member.ManyRooms ? RemoteChatOp.ManyRooms : 0) | (member.EchoesOwnTalk ? RemoteChatOp.EchoesOwnTalk : 0)));
            writer.Write(id);
            writer.Write(first);
            writer.Write(second);
        }

        _parent.Send(message.GetBuffer().AsSpan(0, (int)message.Length));
    }

    /// <summary>
    /// From the hub: the member's id, then an event (<see cref="ChatEventCodec"/>); or the id alone,
    /// which is the hub's <see cref="ChatMember.Close"/> (an event is never empty); or the id, a
    /// NUL and the member's name, which the hub gave or took (an event starts with a digit).
    /// </summary>
    private void Deliver(ReadOnlySpan<byte> message)
    {
        long id = BinaryPrimitives.ReadInt64LittleEndian(message);
        var line = message[sizeof(long)..];
        ChatMember? member;
        lock (_lock)
        {
            if (line.IsEmpty && _members.Remove(id, out member))
                _ids.Remove(member);
            else
                _members.TryGetValue(id, out member);
        }

        if (member is null)
            return;
        if (line.IsEmpty)
            member.Close();
        else if (line[0] == 0)
            member.Nick = line.Length == 1 ? null : System.Text.Encoding.UTF8.GetString(line[1..]);
        else
            member.Deliver(ChatEventCodec.Decode(line));
    }
}
