namespace Switchboard.Bench;

/// <summary>A run that cannot go on, with a message fit for the user: the engine's result says it.</summary>
public sealed class BenchException : Exception
{
    public BenchException()
    {
    }

    public BenchException(string message)
        : base(message)
    {
    }

    public BenchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
