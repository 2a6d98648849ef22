namespace Switchboard.Hosting;

/// <summary>
/// The parent's end of a prefork server's shared-state channel: it receives what workers send
/// with <see cref="ParentChannel.Send"/> and answers through <see cref="WorkerChannel.Send"/>. A
/// server gets one from <see cref="Server.WorkerMessageHandler"/>. Calls for one worker come in
/// order; calls for different workers may come at once. A server with a handler stops its
/// workers over the channel, in order after the messages sent to them, so its workers must read
/// it (<see cref="ParentChannel.Received"/>).
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

    /// <summary>
    /// The server is stopping, and its workers are about to be told to say goodbye to their
    /// clients: called once, before that. What the handler sent to a worker before it returns
    /// reaches the worker before the worker is told to stop (the stop travels after it on the
    /// same channel), so a handler that stops fanning out here never reaches only part of its
    /// members. Messages still come afterwards, until each worker exits. Nothing by default.
    /// </summary>
    void OnStopping()
    {
    }
}
