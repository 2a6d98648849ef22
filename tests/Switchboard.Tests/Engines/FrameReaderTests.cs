using System.Net.Sockets;
using Switchboard.Hosting;
using Switchboard.Tests.Support;
using static Switchboard.Interop.Interop;

namespace Switchboard.Tests.Engines;

/// <summary>The control channel's buffered reader: frames come out whole and in order however the bytes arrive.</summary>
public sealed class FrameReaderTests
{
    [Fact]
    public async Task Many_frames_sent_at_once_come_out_one_by_one_in_order()
    {
        var (sender, receiver) = SocketPair.Create();
        using var _ = sender;
        using var __ = receiver;
        var all = new List<byte>();
        for (int i = 0; i < 1000; i++)
            all.AddRange(Frames.Build(Frames.Message, BitConverter.GetBytes(i)));
        await sender.SendAsync(all.ToArray(), SocketFlags.None);
        sender.Shutdown(SocketShutdown.Send);

        var reader = new FrameReader(receiver);
        for (int i = 0; i < 1000; i++)
        {
            var frame = await reader.ReadAsync();
            Assert.Equal(Frames.Message, frame.Span[0]);
            Assert.Equal(i, BitConverter.ToInt32(frame.Span[1..]));
        }

        Assert.True((await reader.ReadAsync()).IsEmpty);
    }

    [Fact]
    public async Task A_frame_split_across_sends_and_one_larger_than_the_buffer_come_out_whole()
    {
        var (sender, receiver) = SocketPair.Create();
        using var _ = sender;
        using var __ = receiver;
        var large = new byte[200_000];
        Random.Shared.NextBytes(large);
        byte[] bytes = [.. Frames.Build(Frames.Stop, []), .. Frames.Build(Frames.Message, large), .. Frames.Build(Frames.Retire, [])];

        // The sender dribbles the bytes out in odd pieces while the reader reads (blocking, on its own thread).
        receiver.Blocking = true;
        var reading = Task.Run(() =>
        {
            var reader = new FrameReader(receiver);
            var frames = new List<byte[]>();
            for (var frame = reader.Read(); !frame.IsEmpty; frame = reader.Read())
                frames.Add(frame.ToArray());
            return frames;
        });
        for (int at = 0; at < bytes.Length;)
        {
            int piece = Math.Min(bytes.Length - at, at < 10 ? 1 : 7_919);
            at += await sender.SendAsync(bytes.AsMemory(at, piece), SocketFlags.None);
        }

        sender.Shutdown(SocketShutdown.Send);
        var frames = await reading.WaitAsync(Timeouts.Patient);
        Assert.Equal(3, frames.Count);
        Assert.Equal([Frames.Stop], frames[0]);
        Assert.Equal(Frames.Message, frames[1][0]);
        Assert.True(large.AsSpan().SequenceEqual(frames[1].AsSpan(1)));
        Assert.Equal([Frames.Retire], frames[2]);
    }

    [Fact]
    public async Task Frames_of_every_size_in_pieces_of_every_size_come_out_whole_and_in_order()
    {
        var (sender, receiver) = SocketPair.Create();
        using var _ = sender;
        using var __ = receiver;
        var random = new Random(20261207); // fixed: a failure can be replayed
        int[] sizes = [.. Enumerable.Range(0, 300).Select(_ => random.Next(3) switch
        {
            0 => random.Next(0, 64),
            1 => random.Next(60_000, 70_000), // about the buffer's size: compaction near its end, and growth
            _ => random.Next(0, 200_000),
        }), 65_531, 65_532, 65_530, 0];
        var payloads = sizes.Select(n => { var p = new byte[n]; random.NextBytes(p); return p; }).ToArray();
        byte[] bytes = [.. payloads.SelectMany(p => Frames.Build(Frames.Message, p))];

        var reading = Task.Run(async () =>
        {
            var reader = new FrameReader(receiver, bufferSize: 4096);
            var frames = new List<byte[]>();
            for (var frame = await reader.ReadAsync(); !frame.IsEmpty; frame = await reader.ReadAsync())
                frames.Add(frame[1..].ToArray());
            return frames;
        });
        for (int at = 0; at < bytes.Length;)
        {
            int piece = Math.Min(bytes.Length - at, random.Next(1, 100_000));
            at += await sender.SendAsync(bytes.AsMemory(at, piece), SocketFlags.None);
        }

        sender.Shutdown(SocketShutdown.Send);
        var frames = await reading.WaitAsync(Timeouts.Patient);
        Assert.Equal(payloads.Length, frames.Count);
        for (int i = 0; i < payloads.Length; i++)
            Assert.True(payloads[i].AsSpan().SequenceEqual(frames[i]), $"frame {i} ({payloads[i].Length} bytes) differs");
    }

    [Fact]
    public async Task A_length_that_is_not_a_frame_is_refused()
    {
        var (sender, receiver) = SocketPair.Create();
        using var _ = sender;
        using var __ = receiver;
        await sender.SendAsync(new byte[] { 0, 0, 0, 0 }, SocketFlags.None);

        await Assert.ThrowsAsync<InvalidDataException>(async () => await new FrameReader(receiver).ReadAsync());
    }
}
