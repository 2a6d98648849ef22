using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Switchboard.Hosting;
using Switchboard.Tests.Support;
using static Switchboard.Interop.Interop;

namespace Switchboard.Tests.Engines;

/// <summary>The control channel's two ends: the parent's queue to a worker is bounded, and a worker's handler must be real.</summary>
public sealed class PreforkChannelTests
{
    [Fact]
    public async Task A_worker_that_does_not_read_is_dropped_once_the_queue_is_full_the_parent_ending_only_its_own_side()
    {
        var (parentEnd, workerEnd) = SocketPair.Create();
        using var parent = parentEnd;
        using var worker = workerEnd;
        var logger = new RecordingLogger();
        var link = new WorkerChannel(4711, parentEnd, logger);

        // More than the queue and the socket's buffer hold together, with nobody reading.
        var message = new byte[1019]; // a frame of 1,024 bytes
        const long Frames = WorkerChannel.CapacityBytes / 1024;
        long sent = 0;
        while (link.Send(message))
            Assert.True(++sent <= 2 * Frames, "queued far past the bound"); // the socket's buffer holds far less than the bound

        // Not before the queue alone held the bound's worth.
        Assert.True(sent >= Frames, $"closed after {sent} frames");
        Assert.Single(logger.Messages);
        Assert.Matches(@"^Worker 4711 is not reading its messages \(\d+ bytes queued\); dropping its connection as too slow$", logger.Messages[0]);
        Assert.False(link.Send(message));
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(Timeouts.Quick);
        while (await workerEnd.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
        {
            // Draining what was sent before the end; then the worker's end reads end of stream.
        }

        // The worker can still say something (its member leaving): the parent ended only its sending side.
        Assert.Equal(3, await workerEnd.SendAsync("bye"u8.ToArray(), SocketFlags.None, timeout.Token));
        Assert.Equal(3, await parentEnd.ReceiveAsync(buffer, SocketFlags.None, timeout.Token));
    }

    [Fact]
    public async Task A_message_larger_than_the_bound_reaches_a_worker_with_nothing_else_queued()
    {
        var (parentEnd, workerEnd) = SocketPair.Create();
        using var parent = parentEnd;
        using var worker = workerEnd;
        var logger = new RecordingLogger();
        var link = new WorkerChannel(4711, parentEnd, logger);
        var message = new byte[(int)WorkerChannel.CapacityBytes + 1024];
        Random.Shared.NextBytes(message);

        Assert.True(link.Send(message));

        var frame = await new FrameReader(workerEnd).ReadAsync().AsTask().WaitAsync(Timeouts.Patient);
        Assert.Equal(Frames.Message, frame.Span[0]);
        Assert.True(message.AsSpan().SequenceEqual(frame.Span[1..]));
        Assert.Empty(logger.Messages);
    }

    [Fact]
    public async Task Messages_to_a_worker_that_is_gone_are_dropped_without_an_overflow()
    {
        var (parentEnd, workerEnd) = SocketPair.Create();
        using var parent = parentEnd;
        var logger = new RecordingLogger();
        var link = new WorkerChannel(4711, parentEnd, logger);
        var message = new byte[16];

        // The worker's end closes: the link's sending fails, and the link closes itself.
        workerEnd.Dispose();
        using var timeout = new CancellationTokenSource(Timeouts.Quick);
        while (link.Send(message))
            await Task.Delay(10, timeout.Token);
        for (long i = 0; i < (WorkerChannel.CapacityBytes / message.Length) * 2; i++)
            Assert.False(link.Send(message));

        // The pool completes it when the worker exits: still silent.
        link.Complete();
        Assert.False(link.Send(message));
        Assert.Empty(logger.Messages);
    }

    [Fact]
    public void A_null_handler_for_the_parent_channel_is_refused()
    {
        var (parentEnd, workerEnd) = SocketPair.Create();
        using var parent = parentEnd;
        using var worker = workerEnd;
        var link = new ParentChannel(workerEnd.SafeHandle);

        Assert.Throws<ArgumentNullException>(() => link.Received = null);
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                    return [.. _messages];
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
                _messages.Add(formatter(state, exception));
        }
    }
}
