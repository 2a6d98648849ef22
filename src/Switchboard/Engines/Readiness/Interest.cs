namespace Switchboard.Engines.Readiness;

/// <summary>What a loop wants to hear about a socket.</summary>
[Flags]
internal enum Interest
{
    None = 0,
    Read = 1,
    Write = 2,
}
