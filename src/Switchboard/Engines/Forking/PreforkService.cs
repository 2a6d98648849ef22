using System.Net.Sockets;
using Switchboard.Hosting;

namespace Switchboard.Engines.Forking;

/// <summary>The forking engine in the parent: the listening socket is served by the prefork pool's workers, not here.</summary>
internal sealed class PreforkService(PreforkPoolSettings settings) : IListenerService
{
    private readonly PreforkPool _pool = new(settings);

    public Task Stopped => _pool.Stopped;

    public void Start(Socket listener) => _pool.Start(listener);

    public void StopAccepting() => _pool.Stop();

    /// <summary>Each worker serves with the options it started with: it retires once its connection ends, and a fresh one takes its place.</summary>
    public void OnReconfigured(ServerOptions options) => _pool.Reconfigure(options.IdleTimeout, options.ShutdownTimeout);

    public void Dispose() => _pool.Dispose();
}
