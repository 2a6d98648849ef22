namespace Switchboard.Hosting;

/// <summary>
/// The parent's end of a prefork server's shared-state channel: it receives what workers send
/// with <see cref="ParentChannel.Send"/> and answers through <see cref="WorkerChannel.Send"/>. A
/// server gets one from <see cref="Server.WorkerMessageHandler"/>. Calls for one worker come in
/// order; calls for different workers may come at once.
/// </summary>
public interface IWorkerMessageHandler
{
    /// <summary>A worker sent a message.</summary>
    /// <param name="worker">Who sent it, and how to answer.</param>
    /// <param name="message">The bytes; valid only during the call.</param>
    void OnMessage(WorkerChannel worker, ReadOnlySpan<byte> message);

    /// <summary>A worker exited or died: forget what belonged to it.</summary>
    /// <param name="worker">The worker.</param>
    void OnWorkerExited(WorkerChannel worker);
}
