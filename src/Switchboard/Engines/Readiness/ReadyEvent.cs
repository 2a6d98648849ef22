namespace Switchboard.Engines.Readiness;

/// <summary>One socket a multiplexer found ready. <paramref name="Failed"/>: an error or hang-up was reported.</summary>
internal readonly record struct ReadyEvent(int Token, Interest Ready, bool Failed);
