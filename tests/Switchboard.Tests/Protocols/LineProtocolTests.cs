using System.Text;
using Switchboard.Protocols;
using Switchboard.Testing;

namespace Switchboard.Tests.Protocols;

public sealed class LineProtocolTests
{
    private const string Stream = "first\r\nsecond\n\nünïcödé ✓\r\n\rkeeps a lone carriage return\r\nlast\n";

    private static readonly string[] Expected = ["first", "second", "", "ünïcödé ✓", "\rkeeps a lone carriage return", "last"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(int.MaxValue)]
    public void Gives_the_same_lines_whatever_the_chunking(int chunkSize)
    {
        var protocol = new RecordingLineProtocol();
        var transport = new StringTransport(protocol);

        transport.Receive(Stream, chunkSize);

        Assert.Equal(Expected, protocol.Lines);
    }

    [Fact]
    public void Holds_an_unfinished_line_until_its_end_arrives()
    {
        var protocol = new RecordingLineProtocol();
        var transport = new StringTransport(protocol);

        transport.Receive("no end yet");
        Assert.Empty(protocol.Lines);
        transport.Receive(" ... now\n");

        Assert.Equal(["no end yet ... now"], protocol.Lines);
    }

    [Fact]
    public void Replaces_invalid_utf8_instead_of_failing()
    {
        var protocol = new RecordingLineProtocol();
        var transport = new StringTransport(protocol);

        transport.Receive([(byte)'a', 0xff, 0xfe, (byte)'b', (byte)'\n']);

        Assert.Equal(["a\uFFFD\uFFFDb"], protocol.Lines);
    }

    [Fact]
    public void A_multibyte_character_split_across_reads_decodes_whole()
    {
        var protocol = new RecordingLineProtocol();
        var transport = new StringTransport(protocol);
        byte[] bytes = Encoding.UTF8.GetBytes("é\n");

        transport.Receive(bytes.AsSpan(0, 1));
        transport.Receive(bytes.AsSpan(1));

        Assert.Equal(["é"], protocol.Lines);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(int.MaxValue)]
    public void A_line_at_the_limit_is_accepted_and_one_byte_over_is_refused_and_closes(int chunkSize)
    {
        var protocol = new RecordingLineProtocol();
        var transport = new StringTransport(protocol, new ServerOptions { MaxLineLength = 10 });

        transport.Receive("0123456789\r\n" + "0123456789X\nnot seen\n", chunkSize);

        Assert.Equal(["0123456789"], protocol.Lines);
        Assert.Equal("error: line too long (max 10 bytes)\n", transport.TakeSentText());
        Assert.Equal(DisconnectReason.LineTooLong, transport.DisconnectReason);
    }

    [Fact]
    public void An_endless_line_is_never_buffered_past_the_limit()
    {
        var protocol = new KeepGoingLineProtocol();
        var transport = new StringTransport(protocol, new ServerOptions { MaxLineLength = 100 });

        for (int i = 0; i < 1000; i++)
            transport.Receive(new string('x', 1000));
        transport.Receive("\nafter\n");

        // One report on passing the limit (101 bytes with a \r), then one per further 100 bytes.
        Assert.Equal(1 + ((1_000_000 - 102) / 100), protocol.TooLong);
        Assert.Equal(["after"], protocol.Lines);
        Assert.True(protocol.BufferCapacity <= 101, $"buffer grew to {protocol.BufferCapacity} bytes");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(int.MaxValue)]
    public void An_overlong_line_is_reported_again_per_limit_discarded_whatever_the_chunking(int chunkSize)
    {
        var protocol = new KeepGoingLineProtocol();
        var transport = new StringTransport(protocol, new ServerOptions { MaxLineLength = 10 });

        transport.Receive(new string('x', 11) + "\n" + new string('y', 12) + "\n" + new string('z', 32) + "\nok\n", chunkSize);

        // 11 bytes fit (a \r may follow): reported at the line end; 12 and 22 bytes: once; 32 bytes: three times.
        Assert.Equal(1 + 1 + 3, protocol.TooLong);
        Assert.Equal(["ok"], protocol.Lines);
    }

    [Fact]
    public void SendLine_appends_a_newline_and_encodes_utf8()
    {
        var protocol = new RecordingLineProtocol { Reply = true };
        var transport = new StringTransport(protocol);

        transport.Receive("héllo\n");

        Assert.Equal("you said: héllo\n", transport.TakeSentText());
    }

    private class RecordingLineProtocol : LineProtocol
    {
        public List<string> Lines { get; } = [];

        public bool Reply { get; init; }

        protected override void OnLineReceived(string line)
        {
            Lines.Add(line);
            if (Reply)
                SendLine($"you said: {line}");
        }
    }

    /// <summary>Drops overlong lines but stays connected (as the chat room does).</summary>
    private sealed class KeepGoingLineProtocol : RecordingLineProtocol
    {
        public int TooLong { get; private set; }

        public int BufferCapacity => (int)(typeof(LineProtocol)
            .GetField("_line", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(this) as byte[])!.Length;

        protected override void OnLineTooLong() => TooLong++;
    }
}
