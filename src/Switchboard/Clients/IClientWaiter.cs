namespace Switchboard.Clients;

/// <summary>Waits, without blocking longer than a tick, for data on the socket or stdin.</summary>
internal interface IClientWaiter : IDisposable
{
    /// <summary>Waits up to <paramref name="tick"/>; adds what happened to <paramref name="events"/> (none on timeout).</summary>
    ValueTask WaitAsync(TimeSpan tick, List<ClientEvent> events, CancellationToken cancellation);
}
