namespace Switchboard.Apps.Chat;

/// <summary>
/// The five forms of a line the chat server sends (<c>docs/chat-protocol.md</c>, "What the server
/// sends"). The first two characters tell them apart: <c>&lt;N</c> talk, <c>* </c> an action,
/// <c>*N</c> a private message (N a name character, never <c>*</c> or a space), <c>**</c> a notice
/// from the server, <c>! </c> an error. A name is only <c>[A-Za-z0-9_-]</c> and text has no line
/// breaks, so what a user types always lands after a prefix the server wrote, and no user can
/// produce a line that starts like a notice.
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
}
