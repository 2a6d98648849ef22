using System.Text;
using BenchmarkDotNet.Attributes;
using Switchboard.Protocols;
using Switchboard.Testing;

namespace Switchboard.MicroBench;

/// <summary>LineProtocol splitting 64 KiB of 40-byte lines, delivered in reads of different sizes.</summary>
[MemoryDiagnoser]
public class LineSplittingBenchmarks
{
    private byte[] _stream = [];
    private StringTransport _transport = null!;

    [Params(64, 4096, 65536)]
    public int ReadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stream = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the dog\r\n", 65536 / 40)));
        _transport = new StringTransport(new CountingLines());
    }

    [Benchmark]
    public void Split()
    {
        for (int offset = 0; offset < _stream.Length; offset += ReadSize)
            _transport.Receive(_stream.AsSpan(offset, Math.Min(ReadSize, _stream.Length - offset)));
    }

    private sealed class CountingLines : LineProtocol
    {
        public long Lines { get; private set; }

        protected override void OnLineReceived(string line) => Lines++;
    }
}
