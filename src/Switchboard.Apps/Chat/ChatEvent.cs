namespace Switchboard.Apps.Chat;

/// <summary>
/// What happened in the chat, as the hub tells a member: who, where, what and when, never how it
/// reads. Each front-end turns an event into its own bytes through its <see cref="ChatFormat"/>
/// (the line protocol's <see cref="ChatFormat.Lines"/> now; IRC or a web page may follow). One
/// event goes to every member of a room, and each format encodes it once
/// (<see cref="EncodedAs"/>), however many members read that format. Immutable once made.
/// </summary>
public sealed class ChatEvent
{
    private byte[]?[]? _encoded;

    /// <summary>Creates an event of <paramref name="kind"/>; the other fields are set with initialisers.</summary>
    /// <param name="kind">What happened.</param>
    public ChatEvent(ChatEventKind kind) => Kind = kind;

    /// <summary>What happened.</summary>
    public ChatEventKind Kind { get; }

    /// <summary>Who it is about: the speaker, the one who joined, left or was renamed, or the name asked for; empty if no one.</summary>
    public string Nick { get; init; } = "";

    /// <summary>The room it happened in, without <c>#</c>; empty if none.</summary>
    public string Room { get; init; } = "";

    /// <summary>
    /// The second name: the new name of <see cref="ChatEventKind.Renamed"/>, the holder of the
    /// name that <see cref="ChatEventKind.NameTooLike"/> is too like, the missing recipient of
    /// <see cref="ChatEventKind.NoSuchNick"/>; empty otherwise.
    /// </summary>
    public string Other { get; init; } = "";

    /// <summary>The text: what was said or done, a quit message, a line of <see cref="ChatEventKind.Reply"/>; empty if none.</summary>
    public string Text { get; init; } = "";

    /// <summary>How many are in <see cref="Room"/> once someone has joined (<see cref="ChatEventKind.Joined"/>).</summary>
    public int Count { get; init; }

    /// <summary>The names of <see cref="ChatEventKind.WhoList"/>, or the rooms of <see cref="ChatEventKind.RoomList"/> (with <see cref="Sizes"/>).</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>For <see cref="ChatEventKind.RoomList"/>: how many are in each room of <see cref="Names"/>, in the same order.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [];

    /// <summary>When it happened (when the hub took it).</summary>
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// True for a line of a room's history replayed to a newcomer (after <see cref="ChatEventKind.History"/>),
    /// not said now: front-ends show it as history, with its <see cref="Time"/>.
    /// </summary>
    public bool Replayed { get; init; }

    /// <summary>
    /// True for talk or a private message sent as an IRC <c>NOTICE</c>: IRC clients show it as a
    /// notice, and nothing answers it, not even an error.
    /// </summary>
    public bool Notice { get; init; }

    /// <summary>
    /// True if a line said in a room goes back to the one who said it as well: an action
    /// (<c>/me</c>), so that they see how it reads; not talk, which they typed themselves.
    /// </summary>
    internal bool EchoedToSpeaker => Kind == ChatEventKind.Action;

    /// <summary>This event as a line of history replayed to a newcomer: a copy with <see cref="Replayed"/> set.</summary>
    internal ChatEvent AsReplayed() => new(Kind)
    {
        Nick = Nick, Room = Room, Other = Other, Text = Text, Count = Count, Names = Names, Sizes = Sizes, Time = Time, Notice = Notice, Replayed = true,
    };

    /// <summary>
    /// This event in <paramref name="format"/>, encoded the first time it is asked for and the
    /// same bytes after that: a line to a room of a thousand is formatted once per format.
    /// </summary>
    /// <param name="format">The front-end's format.</param>
    /// <returns>The bytes to send; the caller must not change them.</returns>
    public ReadOnlyMemory<byte> EncodedAs(ChatFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        var cache = _encoded;
        if (cache is null)
        {
            cache = new byte[ChatFormat.MaxFormats][];
            cache = Interlocked.CompareExchange(ref _encoded, cache, null) ?? cache;
        }

        // Two threads may both encode it once: the bytes are the same, and one copy wins.
        return cache[format.Slot] ??= format.Encode(this);
    }

    /// <inheritdoc />
    public override string ToString() => System.Text.Encoding.UTF8.GetString(EncodedAs(ChatFormat.Lines).Span).TrimEnd('\n');
}
