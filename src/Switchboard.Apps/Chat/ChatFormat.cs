namespace Switchboard.Apps.Chat;

/// <summary>
/// How one front-end writes <see cref="ChatEvent"/>s: the line protocol's <see cref="Lines"/>, or
/// another (IRC, a web page). An event caches what each format made of it
/// (<see cref="ChatEvent.EncodedAs"/>), so a format is a long-lived object, made once per
/// front-end; at most <see cref="MaxFormats"/> exist in one process, so formats are made only
/// here, in this assembly, one per front-end (its constructor is not public).
/// </summary>
public abstract class ChatFormat
{
    /// <summary>How many formats one process may have (each event keeps a slot per format).</summary>
    public const int MaxFormats = 8;

    private static int s_formats;

    /// <summary>Takes the next of the <see cref="MaxFormats"/> slots.</summary>
    /// <exception cref="InvalidOperationException">There are already <see cref="MaxFormats"/> formats.</exception>
    private protected ChatFormat()
    {
        int slot = Interlocked.Increment(ref s_formats) - 1;
        if (slot >= MaxFormats)
            throw new InvalidOperationException($"at most {MaxFormats} chat formats can exist in one process");
        Slot = slot;
    }

    /// <summary>The line protocol's format (<c>docs/chat-protocol.md</c>): one UTF-8 line per event, ending in <c>\n</c>.</summary>
    public static ChatFormat Lines => LineChatFormat.Instance;

    internal int Slot { get; }

    /// <summary>
    /// True if a member reading this format is sent their own talk back (<see cref="ChatMember.EchoesOwnTalk"/>):
    /// the web page shows a line only once the hub has taken it.
    /// </summary>
    internal virtual bool EchoesOwnTalk => false;

    /// <summary>Writes <paramref name="chatEvent"/>; called once per event and format.</summary>
    /// <param name="chatEvent">The event.</param>
    /// <returns>The bytes a member reading this format receives.</returns>
    protected internal abstract byte[] Encode(ChatEvent chatEvent);
}
