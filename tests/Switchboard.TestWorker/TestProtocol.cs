using Switchboard.Apps;
using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>
/// The protocols the conformance suite serves, by name rather than by factory, so that a server
/// builder can make them in another process (a forking server's worker) as well as in this one.
/// </summary>
public enum TestProtocol
{
    /// <summary>The echo app's protocol.</summary>
    Echo,

    /// <summary><see cref="ScriptedProtocol"/>.</summary>
    Scripted,

    /// <summary><see cref="OverlapProtocol"/>.</summary>
    Overlap,
}

/// <summary>Makes the <see cref="TestProtocol"/>s, in the test process and in a forking server's workers alike.</summary>
public static class TestProtocols
{
    public static Func<Protocol> Factory(TestProtocol protocol, IServerProbe probe) => protocol switch
    {
        TestProtocol.Echo => static () => new EchoProtocol(),
        TestProtocol.Scripted => () => new ScriptedProtocol(probe),
        TestProtocol.Overlap => () => new OverlapProtocol(probe),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "no such test protocol"),
    };
}
