namespace Switchboard.Apps;

/// <summary>The apps <c>switchboard serve</c> knows, with their default ports.</summary>
public static class AppCatalog
{
    /// <summary>The port every app but <c>time</c> listens on by default.</summary>
    public const int DefaultPort = 1234;

    /// <summary>App names with one line on each, in the order help lists them.</summary>
    public static IReadOnlyList<(string Name, string Summary)> All { get; } =
    [
        ("time", "sends the time every --interval seconds (the seed's delay server)"),
        ("echo", "sends back every byte it receives"),
        ("print", "logs every line a client sends (the seed's select server)"),
    ];

    /// <summary>The port an app listens on unless told otherwise.</summary>
    /// <param name="app">The app's name.</param>
    public static int DefaultPortOf(string app) =>
        string.Equals(app, "time", StringComparison.OrdinalIgnoreCase) ? TimeApp.DefaultPort : DefaultPort;
}
