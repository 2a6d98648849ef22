using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>
/// What the server-side test protocols report. In the test process it is a <see cref="ServerProbe"/>;
/// in a forking server's worker, a relay over the channel to the parent, where the test's probe is.
/// </summary>
public interface IServerProbe
{
    void Connected(long id);

    void Disconnected(long id, DisconnectReason reason);

    void Overlapped();

    void TimerRanAfterDisconnect();

    void SawPending(long pending);

    void Received(int bytes);

    /// <summary>Connection <paramref name="id"/> has at least the output queued that a <c>flood-to</c> asked for.</summary>
    void Filled(long id, long pending);
}
