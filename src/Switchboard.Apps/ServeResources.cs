namespace Switchboard.Apps;

/// <summary>
/// What an app makes for one server and must release when it stops (a chat's connection to its
/// Redis backplane): <see cref="App.CreateServer"/> hands it to the server as
/// <see cref="Server.Shared"/>, which disposes it, last first, once the server has stopped.
/// </summary>
public sealed class ServeResources : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private bool _disposed;

    /// <summary>Takes <paramref name="resource"/> to dispose when the server stops.</summary>
    /// <typeparam name="T">The resource's type.</typeparam>
    /// <param name="resource">What to dispose.</param>
    /// <returns><paramref name="resource"/>.</returns>
    /// <exception cref="ObjectDisposedException">The server has already stopped.</exception>
    public T Own<T>(T resource)
        where T : IAsyncDisposable
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _owned.Add(resource);
        }

        return resource;
    }

    /// <summary>Disposes what was owned, last first; once.</summary>
    /// <returns>When all are disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] owned;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            owned = [.. _owned];
            _owned.Clear();
        }

        for (int i = owned.Length - 1; i >= 0; i--)
            await owned[i].DisposeAsync().ConfigureAwait(false);
    }
}
