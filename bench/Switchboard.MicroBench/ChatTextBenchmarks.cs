using BenchmarkDotNet.Attributes;
using Switchboard.Apps.Chat;

namespace Switchboard.MicroBench;

/// <summary>
/// Cleaning what a chat user typed, once per line received. The clean ASCII line is the common
/// case and must cost a vectorized scan and no allocation; the others show the per-character path.
/// </summary>
[MemoryDiagnoser]
public class ChatTextBenchmarks
{
    private const string Ascii = "hello, everyone in the lobby: how is it going today?";
    private const string NonAscii = "héllo wörld, ça va? 日本語のテキスト 😀👍🏽 e\u0301";
    private const string Dirty = "\u001b[31mred\u001b[0m and \u202Eevil\u202C and zero\u200Bwidth and Z\u0336\u0336\u0336\u0336\u0336\u0336";

    [Benchmark(Baseline = true)]
    public string CleanAscii() => ChatText.Clean(Ascii);

    [Benchmark]
    public string CleanNonAscii() => ChatText.Clean(NonAscii);

    [Benchmark]
    public string CleanDirty() => ChatText.Clean(Dirty);
}
