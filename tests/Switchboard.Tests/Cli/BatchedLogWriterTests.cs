using System.Text;
using Switchboard.Cli;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>The log's writer to stderr: every line, in order per thread, gathered into few writes; bounded; drained at the end.</summary>
public sealed class BatchedLogWriterTests
{
    [Fact]
    public async Task Lines_from_several_threads_all_arrive_each_thread_s_in_order_in_far_fewer_writes_than_lines()
    {
        var output = new RecordingWriter();
        const int Threads = 4, Lines = 1000;
        using (var writer = new BatchedLogWriter(output))
        {
            await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < Lines; i++)
                    writer.Enqueue($"{t} {i}\n");
            })));
        }

        string[] written = output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Threads * Lines, written.Length);
        for (int t = 0; t < Threads; t++)
            Assert.Equal(Enumerable.Range(0, Lines).Select(i => $"{t} {i}"), written.Where(l => l.StartsWith($"{t} ", StringComparison.Ordinal)));
        Assert.True(output.Writes < Threads * Lines / 10, $"{output.Writes} writes for {Threads * Lines} lines");
    }

    [Fact]
    public void A_burst_is_written_in_whole_lines_at_most_4_KiB_a_write_so_that_processes_sharing_stderr_never_cut_into_each_other()
    {
        var output = new RecordingWriter();
        using (var writer = new BatchedLogWriter(output))
        {
            for (int i = 0; i < 2000; i++)
                writer.Enqueue($"line {i} é\n"); // two bytes in UTF-8
            writer.Enqueue(new string('y', 10_000) + "\n"); // longer than a write: alone
        }

        Assert.All(output.WriteLengths.SkipLast(1), n => Assert.InRange(n, 1, BatchedLogWriter.AtomicWrite));
        Assert.Equal(10_001, output.WriteLengths[^1]);
        Assert.Equal(0, output.CutLines);
        Assert.Equal(2001, output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void An_entry_of_several_lines_an_exception_s_stack_say_is_never_split_between_writes()
    {
        var output = new RecordingWriter();
        using (var writer = new BatchedLogWriter(output))
        {
            for (int i = 0; i < 500; i++)
                writer.Enqueue($"entry {i}: failed\n   at Frame.One()\n   at Frame.Two()\n");
        }

        Assert.True(output.Writes > 1, "a burst this size takes several writes");
        Assert.All(output.WriteTexts, text => Assert.Equal(Count(text, "entry "), Count(text, "at Frame.Two()")));
        Assert.Equal(500, Count(output.Text, "at Frame.Two()"));

        static int Count(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;
    }

    [Fact]
    public void Flushing_writes_what_was_queued_before_it_so_that_a_line_written_directly_comes_after()
    {
        var output = new RecordingWriter();
        using var writer = new BatchedLogWriter(output);
        writer.Enqueue("logged first\n");

        BatchedLogWriter.FlushAll();

        Assert.Equal("logged first\n", output.Text);
    }

    [Fact]
    public void An_entry_logged_after_the_writer_stopped_is_written_at_once()
    {
        var output = new RecordingWriter();
        var writer = new BatchedLogWriter(output);
        writer.Dispose();

        writer.Enqueue("late\n");

        Assert.Equal("late\n", output.Text);
    }

    [Fact]
    public void Disposing_writes_what_is_queued()
    {
        var output = new RecordingWriter();
        var writer = new BatchedLogWriter(output);
        writer.Enqueue("first\n");
        writer.Enqueue("last\n");

        writer.Dispose();

        Assert.Equal("first\nlast\n", output.Text);
    }

    [Fact]
    public async Task Past_its_bound_lines_are_dropped_and_counted_and_the_count_is_written_once_stderr_takes_lines_again()
    {
        var output = new RecordingWriter { Stuck = true };
        using var writer = new BatchedLogWriter(output);
        writer.Enqueue("before\n");
        await output.Blocked.WaitAsync(Timeouts.Quick); // the writer is inside a write that does not return

        string big = new string('x', BatchedLogWriter.CapacityChars / 4 - 1) + "\n";
        for (int i = 0; i < 4; i++)
            writer.Enqueue(big); // fills the bound exactly
        writer.Enqueue("dropped\n");
        writer.Enqueue("dropped too\n");
        output.Release();

        await output.WaitForAsync("switchboard: log lines dropped because stderr was not taking them: 2\n");
        writer.Dispose();
        Assert.DoesNotContain("\ndropped\n", output.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("dropped too", output.Text, StringComparison.Ordinal);
        Assert.Equal(4, output.Text.Split('\n').Count(l => l.Length == big.Length - 1));
    }

    /// <summary>Records what is written and how many writes; can hold the first write until released.</summary>
    private sealed class RecordingWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();
        private readonly ManualResetEventSlim _released = new(false);
        private readonly TaskCompletionSource _blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Stuck { get; init; }

        public int Writes { get; private set; }

        public Task Blocked => _blocked.Task;

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_lock)
                    return _text.ToString();
            }
        }

        public void Release() => _released.Set();

        public List<int> WriteLengths { get; } = [];

        public List<string> WriteTexts { get; } = [];

        /// <summary>Writes that did not end at a line's end.</summary>
        public int CutLines { get; private set; }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            if (Stuck && !_released.IsSet)
            {
                _blocked.TrySetResult();
                _released.Wait(Timeouts.Quick); // (asserted on the writer's thread, a failure would end the test run)
            }

            TaskCompletionSource changed;
            lock (_lock)
            {
                _text.Append(buffer);
                Writes++;
                WriteLengths.Add(Encoding.UTF8.GetByteCount(buffer));
                WriteTexts.Add(buffer.ToString());
                if (!buffer.IsEmpty && buffer[^1] != '\n')
                    CutLines++;
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        public override void Write(char value) => Write([value]);

        public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

        public async Task WaitForAsync(string expected)
        {
            var deadline = DateTime.UtcNow + Timeouts.Quick;
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_text.ToString().Contains(expected, StringComparison.Ordinal))
                        return;
                    changed = _changed.Task;
                }

                var left = deadline - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero, $"never written: {expected}");
                await changed.WaitAsync(left).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _released.Dispose();
            base.Dispose(disposing);
        }
    }
}
