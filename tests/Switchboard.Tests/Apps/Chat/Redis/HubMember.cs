using Microsoft.Extensions.Logging;
using Switchboard.Apps.Chat;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>
/// A member of an in-process Redis hub, for tests that need a hand inside the hub's delivery: it
/// keeps every event delivered, can run <see cref="OnDeliver"/> on the hub's delivering thread
/// (under its lock, as a real connection's send does), and says when it is closed.
/// </summary>
internal sealed class HubMember(bool manyRooms = false) : ChatMember(ChatFormat.Lines, manyRooms)
{
    private readonly List<ChatEvent> _events = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs for each event delivered, after it is kept, on the hub's thread.</summary>
    public Action<ChatEvent>? OnDeliver { get; set; }

    /// <summary>Done once the hub has closed this member (the last step of its leaving).</summary>
    public Task Closed => _closed.Task;

    public IReadOnlyList<ChatEvent> Events
    {
        get
        {
            lock (_events)
                return [.. _events];
        }
    }

    public override void Deliver(ChatEvent chatEvent)
    {
        TaskCompletionSource arrived;
        lock (_events)
        {
            _events.Add(chatEvent);
            arrived = _arrived;
            _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.SetResult();
        OnDeliver?.Invoke(chatEvent);
    }

    public override void Close() => _closed.TrySetResult();

    /// <summary>Waits (bounded) until an event matching <paramref name="match"/> has been delivered; returns it.</summary>
    public async Task<ChatEvent> WaitForAsync(Func<ChatEvent, bool> match, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Timeouts.Quick);
        while (true)
        {
            Task next;
            lock (_events)
            {
                if (_events.Find(e => match(e)) is { } found)
                    return found;
                next = _arrived.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(next, Task.Delay(left)) != next)
                Assert.Fail($"no {what} within {within ?? Timeouts.Quick}; delivered: {string.Join(" | ", Events.Select(e => $"{e.Kind} {e.Nick} {e.Room} {e.Text}"))}");
        }
    }

    /// <summary>Waits (bounded) until an event of <paramref name="kind"/> has been delivered.</summary>
    public Task<ChatEvent> WaitForAsync(ChatEventKind kind, TimeSpan? within = null) => WaitForAsync(e => e.Kind == kind, kind.ToString(), within);
}

/// <summary>Logs of an in-process hub, handed to <see cref="OnLog"/> as they are written, on the writing thread.</summary>
internal sealed class HookedLoggerFactory : ILoggerFactory, ILogger
{
    /// <summary>Runs for each message logged: its event id and text.</summary>
    public Action<int, string>? OnLog { get; set; }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        OnLog?.Invoke(eventId.Id, formatter(state, exception));
}
