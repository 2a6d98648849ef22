namespace Switchboard.Bench;

/// <summary>What a load run counted.</summary>
internal sealed record LoadStats(long Messages, long Bytes, long Errors, double Seconds);
