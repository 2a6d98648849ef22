namespace Switchboard.Apps;

/// <summary>
/// What an app makes for the servers of one context and must release when they have all stopped
/// (a chat's connection to its Redis backplane, which the line-protocol server, the IRC server and
/// the web page share). Each server made from the context holds it (<see cref="Hold"/>, which
/// <see cref="App.CreateServer"/> gives the server as <see cref="Server.Shared"/>); once the last
/// hold is let go, what was owned is disposed, last first.
/// </summary>
public sealed class ServeResources : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private int _holds;
    private bool _disposed;

    /// <summary>Takes <paramref name="resource"/> to dispose when the servers have stopped.</summary>
    /// <typeparam name="T">The resource's type.</typeparam>
    /// <param name="resource">What to dispose.</param>
    /// <returns><paramref name="resource"/>.</returns>
    /// <exception cref="ObjectDisposedException">The servers have already stopped.</exception>
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

    /// <summary>
    /// A hold for one user of the resources (a server, a web endpoint): disposing it lets go, and
    /// the last hold let go disposes the resources. Letting go twice counts once.
    /// </summary>
    /// <returns>The hold.</returns>
    /// <exception cref="ObjectDisposedException">The resources are already disposed.</exception>
    public IAsyncDisposable Hold()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _holds++;
        }

        return new Holder(this);
    }

    /// <summary>Disposes what was owned, last first, at once, whatever holds remain; once.</summary>
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

    private ValueTask LetGoAsync()
    {
        lock (_lock)
        {
            if (--_holds > 0)
                return ValueTask.CompletedTask;
        }

        return DisposeAsync();
    }

    private sealed class Holder(ServeResources resources) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _released, 1) == 0 ? resources.LetGoAsync() : ValueTask.CompletedTask;
    }
}
