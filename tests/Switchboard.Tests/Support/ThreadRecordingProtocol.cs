using System.Collections.Concurrent;
using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>
/// Records which thread ran each callback, hands the test its connection, and runs
/// <see cref="WhileReceiving"/> inside <c>OnReceived</c>.
/// </summary>
public sealed class ThreadRecordingProtocol : Protocol
{
    private readonly ConcurrentQueue<(string Callback, int Thread)> _calls = new();

    /// <summary>Set by <c>OnConnected</c>, to the connection.</summary>
    public TaskCompletionSource<IConnection> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set by <c>OnDisconnected</c>, to its reason.</summary>
    public TaskCompletionSource<DisconnectReason> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs inside <c>OnReceived</c>, with the connection.</summary>
    public Action<IConnection>? WhileReceiving { get; init; }

    /// <summary>Each callback so far, with the managed id of the thread it ran on.</summary>
    public IReadOnlyList<(string Callback, int Thread)> Calls => [.. _calls];

    public override void OnConnected()
    {
        Record(nameof(OnConnected));
        Connected.TrySetResult(Connection);
    }

    public override void OnReceived(ReadOnlySpan<byte> data)
    {
        Record(nameof(OnReceived));
        WhileReceiving?.Invoke(Connection);
    }

    public override void OnDisconnected(DisconnectReason reason)
    {
        Record(nameof(OnDisconnected));
        Disconnected.TrySetResult(reason);
    }

    private void Record(string callback) => _calls.Enqueue((callback, Environment.CurrentManagedThreadId));
}
