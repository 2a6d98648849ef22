namespace Switchboard.Cli;

/// <summary>The exit codes of <c>switchboard</c> and of the benchmark, <c>switchboard-bench</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Success, including a graceful shutdown on Ctrl-C or SIGTERM.</summary>
    public const int Ok = 0;

    /// <summary>The command was understood but failed, e.g. the port is in use.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong: unknown app or engine, bad port.</summary>
    public const int Usage = 2;

    /// <summary>
    /// <c>connect --tls</c>: the TLS handshake failed: the certificate is not trusted, has expired
    /// or names another host, or the server does not speak TLS. (The bench's 3 is its own.)
    /// </summary>
    public const int Tls = 4;
}
