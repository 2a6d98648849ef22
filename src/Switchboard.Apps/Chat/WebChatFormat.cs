using System.Buffers;
using System.Text.Json;

namespace Switchboard.Apps.Chat;

/// <summary>
/// The web page's wording of every event (<c>docs/web.md</c>): one JSON object per event, sent
/// as one WebSocket text message (or, with others waiting for the same page, in one JSON array). <c>kind</c> is the <see cref="ChatEventKind"/> (<c>talk</c>,
/// <c>joined</c>, <c>nameTaken</c>, …), <c>style</c> how the page shows it (<c>talk</c>,
/// <c>action</c>, <c>private</c>, <c>notice</c> or <c>error</c>), <c>line</c> the line protocol's
/// wording without its <c>***</c> or <c>!</c>, and the event's fields as they are: <c>room</c>,
/// <c>nick</c>, <c>other</c>, <c>text</c>, <c>count</c>, <c>names</c>, <c>sizes</c>, <c>time</c>
/// (UTC, ISO 8601) and <c>history</c> (true for a line of a room's history replayed). A page's own
/// talk comes back to it (<see cref="EchoesOwnTalk"/>).
/// </summary>
internal sealed class WebChatFormat : ChatFormat
{
    public static readonly WebChatFormat Instance = new();

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    private WebChatFormat()
    {
    }

    /// <summary>The page shows its own talk when it comes back, so only what the hub took.</summary>
    internal override bool EchoesOwnTalk => true;

    protected internal override byte[] Encode(ChatEvent chatEvent)
    {
        var (style, line) = StyleOf(chatEvent);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("kind", KindName(chatEvent.Kind));
            json.WriteString("style", style);
            json.WriteString("line", line);
            json.WriteString("room", chatEvent.Room);
            json.WriteString("nick", chatEvent.Nick);
            json.WriteString("other", chatEvent.Other);
            json.WriteString("text", chatEvent.Text);
            json.WriteNumber("count", chatEvent.Count);
            if (chatEvent.Names.Count > 0)
            {
                json.WriteStartArray("names");
                foreach (string name in chatEvent.Names)
                    json.WriteStringValue(name);
                json.WriteEndArray();
            }

            if (chatEvent.Sizes.Count > 0)
            {
                json.WriteStartArray("sizes");
                foreach (int size in chatEvent.Sizes)
                    json.WriteNumberValue(size);
                json.WriteEndArray();
            }

            json.WriteString("time", chatEvent.Time.UtcDateTime);
            json.WriteBoolean("history", chatEvent.Replayed);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>talk</c>, <c>privateSent</c>, <c>tooSlow</c>: the enum's name, its first letter small.</summary>
    private static string KindName(ChatEventKind kind)
    {
        string name = kind.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>How the page shows the event, and the line protocol's wording of it without the prefix that says as much.</summary>
    private static (string Style, string Line) StyleOf(ChatEvent e)
    {
        switch (e.Kind)
        {
            case ChatEventKind.Talk:
                return ("talk", "");
            case ChatEventKind.Action:
                return ("action", "");
            case ChatEventKind.Private or ChatEventKind.PrivateSent:
                return ("private", "");
        }

        string line = LineChatFormat.Live(e);
        if (line.StartsWith("! ", StringComparison.Ordinal))
            return ("error", line[2..]);
        if (line.StartsWith(ChatLine.NoticePrefix, StringComparison.Ordinal))
            return ("notice", line[ChatLine.NoticePrefix.Length..]);
        return ("notice", line);
    }
}
