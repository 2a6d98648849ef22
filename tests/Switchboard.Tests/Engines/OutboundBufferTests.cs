using System.Runtime.InteropServices;
using Switchboard.Engines;

namespace Switchboard.Tests.Engines;

/// <summary>A connection's queued output: bytes in order however they are appended and sent, and no more memory held than a short reply needs.</summary>
public sealed class OutboundBufferTests
{
    [Fact]
    public void A_short_reply_is_held_in_a_small_segment()
    {
        var buffer = new OutboundBuffer();
        buffer.Append(new byte[40]);

        Assert.True(MemoryMarshal.TryGetArray(buffer.Peek(), out var segment));
        Assert.InRange(segment.Array!.Length, OutboundBuffer.SmallestSegmentSize, 1024); // a pool size near what it holds, not 16 KiB
        buffer.Clear();
    }

    [Fact]
    public void Bytes_come_out_in_order_across_a_small_first_segment_and_full_ones()
    {
        var random = new Random(5);
        var buffer = new OutboundBuffer();
        var appended = new List<byte>();
        var sent = new List<byte>();
        for (int round = 0; round < 200; round++)
        {
            // Appends of every size, some filling the small first segment and running over.
            var data = new byte[random.Next(1, 3 * OutboundBuffer.SegmentSize)];
            random.NextBytes(data);
            buffer.Append(data);
            appended.AddRange(data);

            // Send some of it, as a writer would: a few runs, part of them.
            var runs = new ReadOnlyMemory<byte>[4];
            int count = buffer.PeekRuns(runs);
            int total = runs.Take(count).Sum(r => r.Length);
            int take = random.Next(0, total + 1);
            for (int i = 0, left = take; i < count && left > 0; i++)
            {
                int n = Math.Min(left, runs[i].Length);
                sent.AddRange(runs[i][..n].ToArray());
                left -= n;
            }

            buffer.Consume(take);
            Assert.Equal(appended.Count - sent.Count, buffer.Length);
        }

        while (!buffer.IsEmpty)
        {
            var run = buffer.Peek();
            sent.AddRange(run.ToArray());
            buffer.Consume(run.Length);
        }

        Assert.Equal(appended, sent);
    }
}
