using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Switchboard.Apps.Chat;
using Switchboard.Protocols;
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

/// <summary>
/// A connection with no socket for an in-process front-end member (an <c>IrcMember</c>): keeps
/// the lines sent, and runs <see cref="OnLine"/> for each on the sending thread.
/// </summary>
internal sealed class RecordingConnection : IConnection
{
    private readonly List<string> _lines = [];
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs for each line sent (without its line end), on the sending thread.</summary>
    public Action<string>? OnLine { get; set; }

    public long Id => 1;

    public EndPoint RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 1);

    public EndPoint LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 2);

    public ServerOptions Options { get; } = new();

    public long PendingBytes => 0;

    public bool IsOpen => true;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public bool Send(ReadOnlySpan<byte> data)
    {
        string[] sent = Encoding.UTF8.GetString(data).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        TaskCompletionSource arrived;
        lock (_lines)
        {
            _lines.AddRange(sent);
            arrived = _arrived;
            _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.SetResult();
        foreach (string line in sent)
            OnLine?.Invoke(line);
        return true;
    }

    public void Close()
    {
    }

    public void Abort()
    {
    }

    public IDisposable Schedule(TimeSpan delay, Action action) => throw new NotSupportedException();

    public IDisposable Every(TimeSpan period, Action action) => throw new NotSupportedException();

    /// <summary>Waits (bounded) until a line equal to <paramref name="expected"/> has been sent; </summary>
    public async Task WaitForAsync(string expected)
    {
        var deadline = DateTime.UtcNow + Timeouts.Quick;
        while (true)
        {
            Task next;
            lock (_lines)
            {
                if (_lines.Contains(expected))
                    return;
                next = _arrived.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(next, Task.Delay(left)) != next)
                Assert.Fail($"no '{expected}' within {Timeouts.Quick}; sent: {string.Join(" | ", Lines)}");
        }
    }
}
