namespace Switchboard.Apps.Chat;

/// <summary>
/// The forms of a line the chat server sends (<c>docs/chat-protocol.md</c>, "What the server
/// sends"). The first two characters tell them apart: <c>&lt;N</c> talk, <c>* </c> an action,
/// <c>*N</c> a private message (N a name character, never <c>*</c> or a space), <c>**</c> a notice
/// from the server, <c>! </c> an error, <c>-&gt;</c> your own private message, sent, and <c>[</c>
/// a line of history (its time, then the line in one of the forms before). A name is only
/// <c>[A-Za-z0-9_-]</c> and text has no line breaks, so what a user types always lands after a
/// prefix the server wrote, and no user can produce a line that starts like a notice.
/// </summary>
internal static class ChatLine
{
    /// <summary>What starts every notice from the server.</summary>
    public const string NoticePrefix = "*** ";

    /// <summary><c>*** TEXT</c>: a notice from the server (greetings, joins, leaves, answers).</summary>
    public static string Notice(string text) => NoticePrefix + text;

    /// <summary><c>&lt;NICK&gt; TEXT</c>: NICK said TEXT.</summary>
    public static string Talk(string nick, string text) => $"<{nick}> {text}";

    /// <summary><c>* NICK TEXT</c>: NICK acted (<c>/me</c>).</summary>
    public static string Action(string nick, string text) => $"* {nick} {text}";

    /// <summary><c>*NICK* TEXT</c>: a private message from NICK (<c>/msg</c>).</summary>
    public static string Private(string nick, string text) => $"*{nick}* {text}";

    /// <summary><c>-&gt; *NICK* TEXT</c>: your private message TEXT went to NICK.</summary>
    public static string PrivateSent(string nick, string text) => $"-> *{nick}* {text}";

    /// <summary>
    /// <c>[HH:MM] LINE</c>: LINE was said at that time (UTC) and is replayed as history; a line from
    /// an earlier day than <paramref name="now"/> shows its date too, <c>[YYYY-MM-DD HH:MM]</c>.
    /// </summary>
    public static string Replayed(DateTimeOffset time, DateTimeOffset now, string line)
    {
        var utc = time.UtcDateTime;
        string format = utc.Date == now.UtcDateTime.Date ? "HH:mm" : "yyyy-MM-dd HH:mm";
        return $"[{utc.ToString(format, System.Globalization.CultureInfo.InvariantCulture)}] {line}";
    }
}
