namespace Switchboard.Apps.Chat;

/// <summary>
/// The chat's shared state and its fan-out: names, rooms, history. The protocol talks only to
/// this, so another implementation (in a forking server's parent, or over a Redis backplane) can
/// replace <see cref="ChatHub"/> without touching the protocol. Implementations must be safe to
/// call from many connections' callbacks at once. Methods that can be refused return the
/// <c>! ...</c> error text, or null on success.
/// </summary>
public interface IChatHub
{
    /// <summary>Gives <paramref name="member"/> a name (the first puts them in the lobby; later ones rename them, told to their room).</summary>
    /// <param name="member">Who.</param>
    /// <param name="nick">The wanted name, already checked for form.</param>
    string? SetNick(ChatMember member, string nick);

    /// <summary>Moves <paramref name="member"/> to <paramref name="room"/> (created if new), replaying its history to them.</summary>
    /// <param name="member">Who; must have a name.</param>
    /// <param name="room">The room's name, already checked for form.</param>
    string? Join(ChatMember member, string room);

    /// <summary>Sends <paramref name="line"/> (without <c>\n</c>) to everyone in <paramref name="member"/>'s room but them, and keeps it in the room's history.</summary>
    /// <param name="member">The sender.</param>
    /// <param name="line">The whole line, e.g. <c>&lt;bob&gt; hi</c>.</param>
    void Broadcast(ChatMember member, string line);

    /// <summary>Delivers <paramref name="line"/> to the member named <paramref name="nick"/>.</summary>
    /// <param name="nick">The recipient's name (any case).</param>
    /// <param name="line">The whole line, e.g. <c>*bob* hi</c>.</param>
    string? SendTo(string nick, string line);

    /// <summary>Removes <paramref name="member"/>, telling their room <paramref name="farewell"/> (e.g. <c>* bob quit (bye)</c>).</summary>
    /// <param name="member">Who leaves.</param>
    /// <param name="farewell">The line for the room, or null to leave silently.</param>
    void Leave(ChatMember member, string? farewell);

    /// <summary>Rooms with their member counts, by name.</summary>
    IReadOnlyList<(string Room, int Members)> Rooms();

    /// <summary>Names in <paramref name="room"/>, sorted.</summary>
    /// <param name="room">The room.</param>
    IReadOnlyList<string> Who(string room);
}
