namespace Switchboard.Diagnostics;

/// <summary>Why a connection was refused at accept, as the refused-connections metric tags it.</summary>
internal enum RefusalKind
{
    /// <summary>The connection limit (<see cref="ServerOptions.MaxConnections"/>, or every forking worker busy).</summary>
    ServerFull,

    /// <summary>Too few file descriptors left to serve one more.</summary>
    OutOfDescriptors,

    /// <summary>The threading engine could not start a thread for it.</summary>
    OutOfThreads,

    /// <summary><see cref="ServerOptions.MaxConnectionsPerAddress"/>.</summary>
    PerAddress,

    /// <summary><see cref="ServerOptions.ConnectRatePerMinute"/>.</summary>
    ConnectRate,
}

/// <summary>A refusal: its kind, for metrics, and what the client and the log are told.</summary>
/// <param name="Kind">For metrics.</param>
/// <param name="Why">For the client's one line and the log, e.g. "server full (10 connections)".</param>
internal readonly record struct Refusal(RefusalKind Kind, string Why);

/// <summary>The names metrics give refusal kinds and disconnect reasons.</summary>
internal static class MetricNames
{
    private static readonly string[] Refusals = ["server_full", "out_of_descriptors", "out_of_threads", "per_address", "connect_rate"];

    private static readonly string[] Reasons =
        [.. Enum.GetValues<Protocols.DisconnectReason>().Select(reason => Protocols.DisconnectReasonExtensions.Describe(reason).Replace(' ', '_'))];

    public static string Of(RefusalKind kind) => Refusals[(int)kind];

    /// <summary>The log's phrase with underscores: <c>remote_closed</c>, <c>too_slow</c>, …</summary>
    public static string Of(Protocols.DisconnectReason reason) => (int)reason < Reasons.Length ? Reasons[(int)reason] : reason.ToString();
}
