using System.Net.Sockets;
using static Switchboard.Interop.Interop;

namespace Switchboard.Tests.Engines;

/// <summary>The readiness engines' gathering write (sendmsg(2) over several output segments), on a real socket pair.</summary>
public sealed class GatheredSendTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(SocketIo.MaxGatheredRuns)]
    public void Sends_every_run_in_order_in_one_call(int count)
    {
        var (reader, writer) = SocketPair.Create();
        using (reader)
        using (writer)
        {
            // Runs cut from the middle of larger arrays, as output segments are: offsets matter.
            var runs = Enumerable.Range(0, count)
                .Select(i => new ReadOnlyMemory<byte>(Enumerable.Range(0, 100).Select(b => (byte)((i * 31) + b)).ToArray(), 10 + i, 50 + i))
                .ToArray();
            byte[] expected = runs.SelectMany(r => r.ToArray()).ToArray();

            int sent = SocketIo.SendGathered(writer.SafeHandle, runs, out var error);

            Assert.Equal(SocketError.Success, error);
            Assert.Equal(expected.Length, sent); // a few hundred bytes fit a socket pair's buffer whole
            var received = new byte[expected.Length];
            for (int got = 0; got < received.Length;)
                got += reader.Receive(received, got, received.Length - got, SocketFlags.None);
            Assert.Equal(expected, received);
        }
    }

    [Fact]
    public void Stops_where_the_socket_is_full_and_then_says_it_would_block()
    {
        var (reader, writer) = SocketPair.Create();
        using (reader)
        using (writer)
        {
            var segment = new ReadOnlyMemory<byte>(new byte[16 * 1024]);
            var runs = Enumerable.Repeat(segment, SocketIo.MaxGatheredRuns).ToArray();
            long total = 0;
            SocketError error;
            int sent;
            while ((sent = SocketIo.SendGathered(writer.SafeHandle, runs, out error)) > 0)
                total += sent;

            Assert.Equal(SocketError.WouldBlock, error);
            Assert.Equal(-1, sent);
            Assert.True(total > 0, "some of the runs fit before the buffer filled");
        }
    }

    [Fact]
    public void Refuses_more_runs_than_one_call_takes()
    {
        var (reader, writer) = SocketPair.Create();
        using (reader)
        using (writer)
        {
            var runs = Enumerable.Repeat(new ReadOnlyMemory<byte>(new byte[1]), SocketIo.MaxGatheredRuns + 1).ToArray();
            Assert.Throws<ArgumentOutOfRangeException>(() => SocketIo.SendGathered(writer.SafeHandle, runs, out _));
        }
    }
}
