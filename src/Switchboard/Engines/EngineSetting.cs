namespace Switchboard.Engines;

/// <summary>
/// A setting of one engine's own (epoll's loops, forking's workers), as a command line offers it:
/// <c>--NAME VALUE</c>. Engines declare theirs in <see cref="Engine.Settings"/> and take values
/// in <see cref="Engine.WithSettings"/>, so a front-end offers every engine's settings without
/// knowing any engine.
/// </summary>
/// <param name="Name">The option's name without dashes, e.g. "loops".</param>
/// <param name="HelpName">What the value is called in help, e.g. "n".</param>
/// <param name="Description">One line on what it does.</param>
/// <param name="DefaultValue">The value when none is given, as typed.</param>
public sealed record EngineSetting(string Name, string HelpName, string Description, string DefaultValue);
