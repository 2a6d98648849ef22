using Switchboard.Engines;

namespace Switchboard.Tests.Engines;

/// <summary>
/// <see cref="DescriptorReservation"/> on its own. It counts this process's descriptors, so it runs
/// with the tests that run alone. Running out for real is covered by DescriptorLimitTests and
/// ServeCommandTests, under a low ulimit.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class DescriptorReservationTests
{
    [Fact]
    public void Reserve_holds_the_descriptors_and_Release_lets_them_go()
    {
        using var reservation = new DescriptorReservation(4);
        int before = OpenDescriptors();
        Assert.False(reservation.IsReserved);

        Assert.True(reservation.Reserve());
        Assert.True(reservation.IsReserved);
        Assert.Equal(before + 4, OpenDescriptors());

        Assert.True(reservation.Reserve()); // already held: nothing more taken
        Assert.Equal(before + 4, OpenDescriptors());

        reservation.Release();
        Assert.False(reservation.IsReserved);
        Assert.Equal(before, OpenDescriptors());
    }

    [Fact]
    public void Lend_lets_the_descriptors_go_for_the_scope_and_takes_them_back()
    {
        using var reservation = new DescriptorReservation();
        reservation.Reserve();
        int reserved = OpenDescriptors();

        using (reservation.Lend())
        {
            Assert.False(reservation.IsReserved);
            Assert.Equal(reserved - 1, OpenDescriptors());
        }

        Assert.True(reservation.IsReserved);
        Assert.Equal(reserved, OpenDescriptors());
    }

    [Fact]
    public void Dispose_lets_the_descriptors_go()
    {
        int before = OpenDescriptors();
        var reservation = new DescriptorReservation(2);
        reservation.Reserve();

        reservation.Dispose();

        Assert.Equal(before, OpenDescriptors());
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;
}
