using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Hosting;

namespace Switchboard.Apps;

/// <summary>What an <see cref="App"/> makes its protocols from.</summary>
public sealed record ServeContext
{
    /// <summary>The server's options (its line limit, say).</summary>
    public ServerOptions Options { get; init; } = new();

    /// <summary>The apps' own settings; each app reads its part.</summary>
    public AppSettings Settings { get; init; } = new();

    /// <summary>Where the apps log. None by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The time, for apps that tell it. The system clock by default.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// In a forking server's worker, the channel to the parent, where state shared between
    /// connections lives; null in any other process. <see cref="Prefork.Parent"/> by default.
    /// </summary>
    public ParentChannel? Parent { get; init; } = Prefork.Parent;

    /// <summary>
    /// What the app makes for this server and must release when it stops (disposed by the server
    /// after it stops; see <see cref="App.CreateServer"/>). A new, empty set by default.
    /// </summary>
    public ServeResources Resources { get; init; } = new();
}
