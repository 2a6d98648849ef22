namespace Switchboard.Tests.Engines;

/// <summary>
/// Tests that count the process's descriptors or open thousands of sockets run alone, after the
/// parallel ones, so that other tests' sockets neither skew the counts nor compete for the limit.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NonParallel
{
    public const string Name = "non-parallel";
}
