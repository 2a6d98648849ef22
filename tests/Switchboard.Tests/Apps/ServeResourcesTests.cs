using Switchboard.Apps;

namespace Switchboard.Tests.Apps;

/// <summary>What servers of one context share is disposed once the last of them lets go, not at the first.</summary>
public sealed class ServeResourcesTests
{
    [Fact]
    public async Task Resources_are_disposed_when_the_last_hold_is_let_go_and_once()
    {
        var resources = new ServeResources();
        var owned = resources.Own(new Disposable());
        var lineServer = resources.Hold();
        var ircServer = resources.Hold();

        await lineServer.DisposeAsync();
        await lineServer.DisposeAsync(); // a second let-go of one hold counts once
        Assert.Equal(0, owned.Disposals);

        await ircServer.DisposeAsync();
        Assert.Equal(1, owned.Disposals);
        await resources.DisposeAsync();
        Assert.Equal(1, owned.Disposals);
        Assert.Throws<ObjectDisposedException>(() => resources.Hold());
    }

    [Fact]
    public async Task Disposing_the_resources_themselves_disposes_at_once_last_first()
    {
        var resources = new ServeResources();
        var order = new List<string>();
        resources.Own(new Disposable(() => order.Add("first")));
        resources.Own(new Disposable(() => order.Add("second")));
        _ = resources.Hold();

        await resources.DisposeAsync();

        Assert.Equal(["second", "first"], order);
    }

    private sealed class Disposable(Action? onDispose = null) : IAsyncDisposable
    {
        public int Disposals { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposals++;
            onDispose?.Invoke();
            return ValueTask.CompletedTask;
        }
    }
}
