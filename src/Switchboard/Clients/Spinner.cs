namespace Switchboard.Clients;

/// <summary>
/// The seeds' text spinner: a <c>|</c> bouncing back and forth across a row of dots, one step per
/// call, e.g. <c>..|.......</c>.
/// </summary>
public sealed class Spinner
{
    private readonly int _size;
    private int _position;
    private int _direction = 1;

    /// <summary>Creates a spinner <paramref name="size"/> places wide (the seeds use 10).</summary>
    /// <param name="size">Width in characters; at least 2.</param>
    public Spinner(int size = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2);
        _size = size;
    }

    /// <summary>The next frame, then moves the bar one place.</summary>
    public string Next()
    {
        string frame = new string('.', _position) + '|' + new string('.', _size - _position - 1);
        _position += _direction;
        if (_position < 0)
        {
            _direction = 1;
            _position = 1;
        }
        else if (_position >= _size)
        {
            _position -= 2;
            _direction = -1;
        }

        return frame;
    }
}
