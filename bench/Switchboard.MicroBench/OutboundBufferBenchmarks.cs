using BenchmarkDotNet.Attributes;
using Switchboard.Engines;

namespace Switchboard.MicroBench;

/// <summary>The outbound buffer: append messages, then drain them the way a transport does.</summary>
[MemoryDiagnoser]
public class OutboundBufferBenchmarks
{
    private readonly OutboundBuffer _buffer = new();
    private byte[] _message = [];

    [Params(32, 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public void Setup() => _message = new byte[MessageSize];

    [Benchmark(OperationsPerInvoke = 1000)]
    public void AppendThenDrain()
    {
        for (int i = 0; i < 1000; i++)
            _buffer.Append(_message);
        while (!_buffer.IsEmpty)
            _buffer.Consume(_buffer.Peek().Length);
    }
}
