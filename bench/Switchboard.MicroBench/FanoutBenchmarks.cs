using BenchmarkDotNet.Attributes;
using Switchboard.Apps.Chat;

namespace Switchboard.MicroBench;

/// <summary>A chat line to a room of N members: formatted and encoded once, the same bytes queued to each.</summary>
[MemoryDiagnoser]
public class FanoutBenchmarks
{
    private ChatHub _hub = null!;
    private ChatMember _speaker = null!;

    [Params(10, 1000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _hub = new ChatHub(historySize: 0);
        for (int i = 0; i < Members; i++)
            _hub.Nick(new CountingMember(), $"m{i}");
        _speaker = new CountingMember();
        _hub.Nick(_speaker, "speaker");
    }

    [Benchmark]
    public void SayToRoom() => _hub.Say(_speaker, "hello, everyone in the lobby");

    private sealed class CountingMember() : ChatMember(ChatFormat.Lines)
    {
        public long Bytes { get; private set; }

        public override void Deliver(ChatEvent chatEvent) => Bytes += chatEvent.EncodedAs(Format).Length;
    }
}
