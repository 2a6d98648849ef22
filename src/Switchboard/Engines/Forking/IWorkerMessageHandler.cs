namespace Switchboard.Engines.Forking;

/// <summary>
/// The parent's end of a forking server's shared-state channel: it receives what workers send
/// with <see cref="ParentLink.Send"/> and answers through <see cref="WorkerLink.Send"/>. Set it
/// in <see cref="WorkerPoolOptions.MessageHandler"/>. Calls for one worker come in order; calls
/// for different workers may come at once.
/// </summary>
public interface IWorkerMessageHandler
{
    /// <summary>A worker sent a message.</summary>
    /// <param name="worker">Who sent it, and how to answer.</param>
    /// <param name="message">The bytes; valid only during the call.</param>
    void OnMessage(WorkerLink worker, ReadOnlySpan<byte> message);

    /// <summary>A worker exited or died: forget what belonged to it.</summary>
    /// <param name="worker">The worker.</param>
    void OnWorkerExited(WorkerLink worker);
}
