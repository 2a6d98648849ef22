namespace Switchboard.Apps.Chat;

/// <summary>How a member left, and so what their room is told.</summary>
public enum Farewell
{
    /// <summary><c>/quit [MESSAGE]</c>: <c>* NICK quit (MESSAGE)</c>.</summary>
    Quit,

    /// <summary>The connection ended: <c>* NICK quit (connection closed)</c>.</summary>
    Dropped,

    /// <summary>Disconnected as a slow consumer: <c>* NICK left (too slow)</c>.</summary>
    TooSlow,

    /// <summary>Server shutdown: everyone is told directly, so the room is told nothing.</summary>
    Silent,
}

/// <summary>What a room is told of each <see cref="Farewell"/>.</summary>
internal static class FarewellEvents
{
    /// <summary>The event the room is told, or null for none (<see cref="Farewell.Silent"/>).</summary>
    public static ChatEventKind? EventKind(this Farewell how) => how switch
    {
        Farewell.Quit => ChatEventKind.Quit,
        Farewell.TooSlow => ChatEventKind.TooSlow,
        Farewell.Dropped => ChatEventKind.Dropped,
        _ => null,
    };
}
