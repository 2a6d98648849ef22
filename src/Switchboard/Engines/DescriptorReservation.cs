using Microsoft.Win32.SafeHandles;

namespace Switchboard.Engines;

/// <summary>
/// Descriptors held in reserve (on <c>/dev/null</c>) for the moment the process runs out of them:
/// letting them go makes room for what must happen then, such as accepting a waiting client just
/// to tell it so and close it, or writing the line that says why the server cannot start.
/// </summary>
/// <remarks>
/// Not thread-safe: one owner uses it. <c>using (reservation.Lend()) { ... }</c> gives the
/// descriptors back for the block and takes them again after it.
/// </remarks>
internal sealed class DescriptorReservation : IDisposable
{
    private const string Placeholder = "/dev/null";

    private readonly SafeFileHandle?[] _held;

    /// <summary>A reservation of <paramref name="count"/> descriptors, none held yet (see <see cref="Reserve"/>).</summary>
    public DescriptorReservation(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _held = new SafeFileHandle?[count];
    }

    /// <summary>Whether every descriptor of the reservation is held.</summary>
    public bool IsReserved => Array.TrueForAll(_held, h => h is not null);

    /// <summary>
    /// Takes every descriptor not held yet, as far as the process has them to spare; returns
    /// <see cref="IsReserved"/>. Running out is not an error here: it is what the reserve is for,
    /// and a later call takes the rest.
    /// </summary>
    public bool Reserve()
    {
        for (int i = 0; i < _held.Length; i++)
        {
            if (_held[i] is not null)
                continue;
            try
            {
                _held[i] = File.OpenHandle(Placeholder);
            }
            catch (IOException)
            {
                return false; // EMFILE or ENFILE: none to spare now
            }
        }

        return true;
    }

    /// <summary>Closes every descriptor held, so that the process can open as many others.</summary>
    public void Release()
    {
        for (int i = 0; i < _held.Length; i++)
        {
            _held[i]?.Dispose();
            _held[i] = null;
        }
    }

    /// <summary>
    /// Releases the descriptors until the returned scope is disposed, then reserves them again:
    /// room for one short piece of work, such as accepting a client and closing it.
    /// </summary>
    public Loan Lend()
    {
        Release();
        return new Loan(this);
    }

    /// <summary>Releases the descriptors for good.</summary>
    public void Dispose() => Release();

    /// <summary>The time the descriptors are lent out: disposing it reserves them again.</summary>
    internal readonly struct Loan : IDisposable
    {
        private readonly DescriptorReservation _reservation;

        internal Loan(DescriptorReservation reservation) => _reservation = reservation;

        /// <summary>Takes the descriptors back (as many as the process has to spare).</summary>
        public void Dispose() => _reservation?.Reserve();
    }
}
