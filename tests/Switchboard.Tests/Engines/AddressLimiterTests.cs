using System.Net;
using Switchboard.Diagnostics;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>The per-address table alone, on a clock the test moves: what counts as one address, refills, and bounded memory.</summary>
public sealed class AddressLimiterTests
{
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void IPv6_addresses_count_by_their_64_and_IPv4_ones_alone()
    {
        var limiter = new AddressLimiter(new ServerOptions { MaxConnectionsPerAddress = 1, LimitExempt = [] }, _clock);

        Assert.Null(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.NotNull(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2:ffff::9"))); // same /64
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:3::1")));         // another /64
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("192.0.2.1")));
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("192.0.2.2")));
        Assert.NotNull(limiter.TryAcquire(IPAddress.Parse("::ffff:192.0.2.1")));      // IPv4-mapped is the IPv4 address

        limiter.Release(IPAddress.Parse("2001:db8:1:2::1"));
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2::2")));
    }

    [Fact]
    public void The_bucket_refills_at_the_rate_and_a_refilled_address_is_forgotten()
    {
        var address = IPAddress.Parse("198.51.100.7");
        var limiter = new AddressLimiter(new ServerOptions { ConnectRatePerMinute = 2, LimitExempt = [] }, _clock);

        Assert.Null(limiter.TryAcquire(address));
        Assert.Null(limiter.TryAcquire(address));
        Assert.Equal(new Refusal(RefusalKind.ConnectRate, "connecting too often from your address (2 a minute)"), limiter.TryAcquire(address));
        limiter.Release(address);
        limiter.Release(address);
        Assert.Equal(1, limiter.Count); // its bucket is not full: remembered

        _clock.Advance(TimeSpan.FromSeconds(30)); // one token back
        Assert.Null(limiter.TryAcquire(address));
        Assert.NotNull(limiter.TryAcquire(address));

        _clock.Advance(TimeSpan.FromMinutes(1));
        limiter.Release(address);
        Assert.Equal(0, limiter.Count);
    }

    [Fact]
    public void A_churn_of_addresses_keeps_the_table_bounded_and_admits_after_expiry()
    {
        var options = new ServerOptions { MaxConnections = 100, ConnectRatePerMinute = 1, LimitExempt = [] };
        var limiter = new AddressLimiter(options, _clock);

        // 100,000 addresses connect once and leave at once, faster than their buckets refill.
        for (int i = 0; i < 100_000; i++)
        {
            var address = new IPAddress(BitConverter.GetBytes(0x0A000000 + i));
            Assert.Null(limiter.TryAcquire(address));
            limiter.Release(address);
            Assert.True(limiter.Count <= limiter.TableLimit, $"{limiter.Count} entries after {i + 1} addresses");
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("203.0.113.1")));
    }

    [Fact]
    public void An_exempt_address_is_never_counted()
    {
        var limiter = new AddressLimiter(new ServerOptions { MaxConnectionsPerAddress = 1, ConnectRatePerMinute = 1 }, _clock);
        for (int i = 0; i < 5; i++)
        {
            Assert.Null(limiter.TryAcquire(IPAddress.Parse("127.0.0.9")));
            Assert.Null(limiter.TryAcquire(IPAddress.IPv6Loopback));
        }

        Assert.Equal(0, limiter.Count);
    }
}
