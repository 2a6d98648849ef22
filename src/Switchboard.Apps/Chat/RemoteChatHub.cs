using System.Buffers.Binary;
using Switchboard.Engines.Forking;

namespace Switchboard.Apps.Chat;

/// <summary>
/// The <see cref="IChatHub"/> of a forking server's worker: every call goes to the parent over the
/// shared-state channel, where a <see cref="ChatHubHost"/> applies it to the one real hub; the
/// lines the hub delivers come back addressed to members here.
/// </summary>
public sealed class RemoteChatHub : IChatHub
{
    private readonly ParentLink _parent;
    private readonly Lock _lock = new();
    private readonly Dictionary<ChatMember, long> _ids = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<long, ChatMember> _members = [];
    private long _lastId;

    /// <summary>Connects to the parent's hub; lines for this worker's members start arriving.</summary>
    /// <param name="parent">This worker's channel, <see cref="ForkingWorker.Parent"/>.</param>
    public RemoteChatHub(ParentLink parent)
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
    public void Say(ChatMember member, string text) => Call(RemoteChatOp.Say, member, text);

    /// <inheritdoc />
    public void Act(ChatMember member, string text) => Call(RemoteChatOp.Act, member, text);

    /// <inheritdoc />
    public void Whisper(ChatMember member, string nick, string text) => Call(RemoteChatOp.Whisper, member, nick, text);

    /// <inheritdoc />
    public void ListRooms(ChatMember member) => Call(RemoteChatOp.ListRooms, member);

    /// <inheritdoc />
    public void ListWho(ChatMember member) => Call(RemoteChatOp.ListWho, member);

    /// <inheritdoc />
    public void Leave(ChatMember member, Farewell how, string message = "")
    {
        Call(RemoteChatOp.Leave, member, ((int)how).ToString(System.Globalization.CultureInfo.InvariantCulture), message);
        lock (_lock)
        {
            if (_ids.Remove(member, out long id))
                _members.Remove(id);
        }
    }

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
            writer.Write((byte)op);
            writer.Write(id);
            writer.Write(first);
            writer.Write(second);
        }

        _parent.Send(message.GetBuffer().AsSpan(0, (int)message.Length));
    }

    /// <summary>A line from the hub: the member's id, then the encoded line.</summary>
    private void Deliver(ReadOnlySpan<byte> message)
    {
        long id = BinaryPrimitives.ReadInt64LittleEndian(message);
        ChatMember? member;
        lock (_lock)
            _members.TryGetValue(id, out member);
        member?.Deliver(message[sizeof(long)..]);
    }
}
