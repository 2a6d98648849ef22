namespace Switchboard.Clients;

/// <summary>How <see cref="ConsoleClient"/> waits for data without blocking.</summary>
public enum ClientWaitMode
{
    /// <summary><c>poll(2)</c> on the socket and stdin, 50 ms at a time (the seed's poll client).</summary>
    Poll,

    /// <summary><c>Socket.Select</c> on the socket, 50 ms at a time (the seed's select client); stdin is read by a helper thread.</summary>
    Select,

    /// <summary>.NET async receive, raced against a 50 ms delay; stdin is read by a helper thread.</summary>
    Async,
}
