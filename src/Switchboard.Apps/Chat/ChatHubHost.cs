using System.Buffers.Binary;
using System.Globalization;
using Switchboard.Hosting;

namespace Switchboard.Apps.Chat;

/// <summary>
/// In a forking server's parent: applies the calls of every worker's <see cref="RemoteChatHub"/>
/// to one real hub, with a stand-in <see cref="ChatMember"/> per remote member whose lines travel
/// back to its worker. A worker that dies takes its members with it (their rooms are told).
/// </summary>
/// <param name="hub">The one real hub, e.g. a <see cref="ChatHub"/>.</param>
public sealed class ChatHubHost(IChatHub hub) : IWorkerMessageHandler
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(int Pid, long Id), RemoteMember> _members = [];

    /// <inheritdoc />
    public void OnMessage(WorkerChannel worker, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(worker);
        using var reader = new BinaryReader(new MemoryStream(message.ToArray()));
        var flagged = (RemoteChatOp)reader.ReadByte();
        var op = flagged & ~(RemoteChatOp.ManyRooms | RemoteChatOp.EchoesOwnTalk | RemoteChatOp.Notice);
        bool notice = (flagged & RemoteChatOp.Notice) != 0;
        long id = reader.ReadInt64();
        string first = reader.ReadString();
        string second = reader.ReadString();
        var member = MemberOf(worker, id, manyRooms: (flagged & RemoteChatOp.ManyRooms) != 0, forget: op == RemoteChatOp.Leave);
        member.Echoes = (flagged & RemoteChatOp.EchoesOwnTalk) != 0;
        string? room = second.Length > 0 ? second : null;
        switch (op)
        {
            case RemoteChatOp.Nick:
                hub.Nick(member, first);
                break;
            case RemoteChatOp.Join:
                hub.Join(member, first);
                break;
            case RemoteChatOp.Part:
                hub.Part(member, first, second);
                break;
            case RemoteChatOp.PartAll:
                hub.PartAll(member);
                break;
            case RemoteChatOp.Say:
                hub.Say(member, first, room, notice);
                break;
            case RemoteChatOp.Act:
                hub.Act(member, first, room);
                break;
            case RemoteChatOp.Whisper:
                hub.Whisper(member, first, second, notice);
                break;
            case RemoteChatOp.TopicAsk:
                hub.Topic(member, first);
                break;
            case RemoteChatOp.TopicSet:
                hub.Topic(member, first, second);
                break;
            case RemoteChatOp.Whois:
                hub.Whois(member, first);
                break;
            case RemoteChatOp.Away:
                hub.Away(member, first);
                break;
            case RemoteChatOp.ListRooms:
                hub.ListRooms(member);
                break;
            case RemoteChatOp.ListWho:
                hub.ListWho(member, first.Length > 0 ? first : null);
                break;
            case RemoteChatOp.Tell:
                hub.Tell(member, first);
                break;
            case RemoteChatOp.Leave:
                hub.Leave(member, (Farewell)int.Parse(first, CultureInfo.InvariantCulture), second);
                break;
            default:
                throw new InvalidDataException($"unknown chat operation {op}");
        }
    }

    /// <inheritdoc />
    /// <remarks>The hub refuses talk from now on, so none reaches only the members whose workers have not yet said goodbye.</remarks>
    public void OnStopping() => hub.BeginShutdown();

    /// <inheritdoc />
    public void OnWorkerExited(WorkerChannel worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        RemoteMember[] gone;
        lock (_lock)
        {
            gone = [.. _members.Where(m => m.Key.Pid == worker.Pid).Select(m => m.Value)];
            foreach (var member in gone)
                _members.Remove((worker.Pid, member.Id));
        }

        foreach (var member in gone)
            hub.Leave(member, Farewell.Dropped);
    }

    /// <summary>Forgets <paramref name="member"/> if it is still the stand-in for its id.</summary>
    private void Forget(WorkerChannel worker, RemoteMember member)
    {
        lock (_lock)
        {
            if (_members.TryGetValue((worker.Pid, member.Id), out var known) && ReferenceEquals(known, member))
                _members.Remove((worker.Pid, member.Id));
        }
    }

    private RemoteMember MemberOf(WorkerChannel worker, long id, bool manyRooms, bool forget)
    {
        lock (_lock)
        {
            if (!_members.TryGetValue((worker.Pid, id), out var member))
            {
                member = new RemoteMember(this, worker, id, manyRooms);
                _members.Add((worker.Pid, id), member);
            }

            if (forget)
                _members.Remove((worker.Pid, id));
            return member;
        }
    }

    /// <summary>A member served by a worker: its lines go back over that worker's channel.</summary>
    private sealed class RemoteMember(ChatHubHost host, WorkerChannel worker, long id, bool manyRooms) : ChatMember(ChatEventCodec.Instance, manyRooms)
    {
        public long Id { get; } = id;

        /// <summary>What the worker's member said of <see cref="ChatMember.EchoesOwnTalk"/> with its last call.</summary>
        public bool Echoes { get; set; }

        public override bool EchoesOwnTalk => Echoes;

        /// <summary>The id, then the event in the wire format (encoded once per event, however many members it goes to).</summary>
        public override void Deliver(ChatEvent chatEvent)
        {
            ArgumentNullException.ThrowIfNull(chatEvent);
            var line = chatEvent.EncodedAs(ChatEventCodec.Instance).Span;
            Span<byte> message = line.Length <= 1024 ? stackalloc byte[sizeof(long) + line.Length] : new byte[sizeof(long) + line.Length];
            BinaryPrimitives.WriteInt64LittleEndian(message, Id);
            line.CopyTo(message[sizeof(long)..]);
            worker.Send(message);
        }

        /// <summary>
        /// The id, a NUL and the name (empty when taken away): the worker's copy of the member
        /// learns its name, in order with its lines. An encoded event never starts with NUL nor is empty.
        /// </summary>
        internal override void Renamed(string? nick)
        {
            byte[] name = System.Text.Encoding.UTF8.GetBytes(nick ?? "");
            var message = new byte[sizeof(long) + 1 + name.Length];
            BinaryPrimitives.WriteInt64LittleEndian(message, Id);
            name.CopyTo(message, sizeof(long) + 1);
            worker.Send(message);
        }

        /// <summary>
        /// The id alone: the worker closes the member's connection after the lines sent before.
        /// The hub's last word on the member, so the host forgets it (the Redis hub closes a member
        /// on its own, one whose name was taken while Redis was away).
        /// </summary>
        public override void Close()
        {
            host.Forget(worker, this);
            Span<byte> message = stackalloc byte[sizeof(long)];
            BinaryPrimitives.WriteInt64LittleEndian(message, Id);
            worker.Send(message);
        }
    }
}
