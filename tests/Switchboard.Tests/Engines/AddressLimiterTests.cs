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
    public void A_connection_counted_before_its_address_is_exempted_by_a_reload_is_given_back_all_the_same()
    {
        var address = IPAddress.Parse("198.51.100.9");
        var options = new ServerOptions { MaxConnectionsPerAddress = 1, LimitExempt = [] };
        var limiter = new AddressLimiter(options, _clock);
        Assert.Null(limiter.TryAcquire(address, out bool counted));
        Assert.True(counted);

        limiter.Update(options with { LimitExempt = [IPNetwork.Parse("198.51.100.0/24")] });
        Assert.Null(limiter.TryAcquire(address, out bool exempt)); // exempt now: let in, not counted
        Assert.False(exempt);
        limiter.Release(address); // the first, counted before: given back

        limiter.Update(options);
        Assert.Null(limiter.TryAcquire(address, out _)); // not held against it
    }

    [Fact]
    public void A_throttle_turned_on_by_a_reload_starts_with_full_buckets()
    {
        var address = IPAddress.Parse("198.51.100.10");
        var options = new ServerOptions { MaxConnectionsPerAddress = 5, LimitExempt = [] };
        var limiter = new AddressLimiter(options, _clock);
        Assert.Null(limiter.TryAcquire(address, out _)); // open: its entry has an empty bucket (no throttle yet)

        limiter.Update(options with { ConnectRatePerMinute = 2 });

        Assert.Null(limiter.TryAcquire(address, out _));
        Assert.Null(limiter.TryAcquire(address, out _));
        Assert.NotNull(limiter.TryAcquire(address, out _)); // the third within the minute
    }

    [Fact]
    public void IPv6_addresses_count_by_their_64_and_IPv4_ones_alone()
    {
        var limiter = new AddressLimiter(new ServerOptions { MaxConnectionsPerAddress = 1, LimitExempt = [] }, _clock);

        Assert.Null(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2::1"), out _));
        Assert.NotNull(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2:ffff::9"), out _)); // same /64
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:3::1"), out _));         // another /64
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("192.0.2.1"), out _));
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("192.0.2.2"), out _));
        Assert.NotNull(limiter.TryAcquire(IPAddress.Parse("::ffff:192.0.2.1"), out _));      // IPv4-mapped is the IPv4 address

        limiter.Release(IPAddress.Parse("2001:db8:1:2::1"));
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2::2"), out _));
    }

    [Fact]
    public void The_bucket_refills_at_the_rate_and_a_refilled_address_is_forgotten()
    {
        var address = IPAddress.Parse("198.51.100.7");
        var limiter = new AddressLimiter(new ServerOptions { ConnectRatePerMinute = 2, LimitExempt = [] }, _clock);

        Assert.Null(limiter.TryAcquire(address, out _));
        Assert.Null(limiter.TryAcquire(address, out _));
        Assert.Equal(new Refusal(RefusalKind.ConnectRate, "connecting too often from your address (2 a minute)"), limiter.TryAcquire(address, out _));
        limiter.Release(address);
        limiter.Release(address);
        Assert.Equal(1, limiter.Count); // its bucket is not full: remembered

        _clock.Advance(TimeSpan.FromSeconds(30)); // one token back
        Assert.Null(limiter.TryAcquire(address, out _));
        Assert.NotNull(limiter.TryAcquire(address, out _));

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
            Assert.Null(limiter.TryAcquire(address, out _));
            limiter.Release(address);
            Assert.True(limiter.Count <= limiter.TableLimit, $"{limiter.Count} entries after {i + 1} addresses");
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(limiter.TryAcquire(IPAddress.Parse("203.0.113.1"), out _));
    }

    [Fact]
    public void An_exempt_address_is_never_counted()
    {
        var limiter = new AddressLimiter(new ServerOptions { MaxConnectionsPerAddress = 1, ConnectRatePerMinute = 1 }, _clock);
        for (int i = 0; i < 5; i++)
        {
            Assert.Null(limiter.TryAcquire(IPAddress.Parse("127.0.0.9"), out _));
            Assert.Null(limiter.TryAcquire(IPAddress.IPv6Loopback, out _));
        }

        Assert.Equal(0, limiter.Count);
    }
}
