namespace Switchboard.Apps;

/// <summary>The apps <c>switchboard serve</c> knows, with their default ports.</summary>
public static class AppCatalog
{
    /// <summary>The port every app but <c>time</c> listens on by default.</summary>
    public const int DefaultPort = 1234;

    /// <summary>App names with one line on each, in the order help lists them.</summary>
    public static IReadOnlyList<(string Name, string Summary)> All { get; } =
    [
        ("time", "the seed's delay server: sends the time now and every --interval seconds"),
        ("echo", "sends back every byte it receives"),
        ("print", "the seed's select server: logs every line a client sends"),
        ("chat", "a chat room: nicknames, rooms, private messages, history, flood control"),
    ];

    /// <summary>The port an app listens on unless told otherwise.</summary>
    /// <param name="app">The app's name.</param>
    public static int DefaultPortOf(string app) =>
        string.Equals(app, "time", StringComparison.OrdinalIgnoreCase) ? TimeApp.DefaultPort : DefaultPort;
}
