using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Switchboard.Engines.Readiness;

/// <summary>
/// Asks the OS which sockets are ready (Python's <c>selectors</c>, Twisted's reactors): register
/// sockets (by their descriptors' handles) under small integer tokens, then wait. Used by one loop thread only, so not thread-safe.
/// Level-triggered: a socket stays ready until drained.
/// </summary>
internal interface IMultiplexer : IDisposable
{
    void Add(SafeHandle socket, int token, Interest interest);

    void Modify(SafeHandle socket, int token, Interest interest);

    void Remove(SafeHandle socket, int token);

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: no limit) and fills
    /// <paramref name="ready"/> (cleared first). An interrupted wait returns with none ready.
    /// </summary>
    void Wait(int timeoutMilliseconds, List<ReadyEvent> ready);
}
