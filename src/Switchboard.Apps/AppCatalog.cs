using System.Diagnostics.CodeAnalysis;
using Switchboard.Apps.Chat;

namespace Switchboard.Apps;

/// <summary>The apps <c>switchboard serve</c> knows.</summary>
public static class AppCatalog
{
    /// <summary>Every app, in the order help lists them.</summary>
    public static IReadOnlyList<App> All { get; } = [new TimeApp(), new EchoApp(), new PrintApp(), new ChatApp()];

    /// <summary>Finds an app by name (case-insensitive).</summary>
    /// <param name="name">The app's name.</param>
    /// <param name="app">The app, when found.</param>
    public static bool TryGet(string name, [NotNullWhen(true)] out App? app)
    {
        app = All.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
        return app is not null;
    }
}
