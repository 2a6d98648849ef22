namespace Switchboard.Bench;

/// <summary>The bench's exit codes beyond those it shares with <c>switchboard</c> (0, 1, 2).</summary>
internal static class BenchExitCodes
{
    /// <summary>The server throttled or refused the load: its figures measure the throttle, not the server.</summary>
    public const int Throttled = 3;

    /// <summary>Ctrl-C or SIGTERM: what was measured is written, marked partial or not run (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
