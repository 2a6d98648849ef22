namespace Switchboard.Tests.Support;

/// <summary>Bounds for waits in tests: generous, because CI machines are shared and noisy.</summary>
public static class Timeouts
{
    public static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Patient = TimeSpan.FromSeconds(30);
}
