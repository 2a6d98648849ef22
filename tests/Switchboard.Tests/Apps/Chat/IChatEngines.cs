namespace Switchboard.Tests.Apps.Chat;

/// <summary>
/// The engines a <see cref="ChatConversationTests{TSelf}"/> subclass runs on. A static member of
/// the subclass, because xUnit reads a theory's data from the class that declares the theory.
/// </summary>
public interface IChatEngines
{
    static abstract IEnumerable<string> EngineNames { get; }
}
