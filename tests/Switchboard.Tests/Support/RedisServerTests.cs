using System.Net.Sockets;
using static Switchboard.Interop.Interop;

namespace Switchboard.Tests.Support;

/// <summary>The fixture the Redis hub's tests stand on: a real redis-server, started, restarted and stopped by pid.</summary>
public sealed class RedisServerTests
{
    [Fact]
    public async Task A_started_server_answers_commands_on_its_port()
    {
        await using var redis = await RedisServer.StartAsync();

        Assert.Equal($"redis://127.0.0.1:{redis.Port}", redis.Url);
        Assert.True(IsAlive(redis.Pid), $"pid {redis.Pid} is not running");
        Assert.Equal("PONG", await redis.CommandAsync("PING"));
        Assert.Equal("OK", await redis.CommandAsync("SET", "greeting", "hello, wörld\r\nsecond line"));
        Assert.Equal("hello, wörld\r\nsecond line", await redis.CommandAsync("GET", "greeting"));
        Assert.Equal("(nil)", await redis.CommandAsync("GET", "nothing"));
        Assert.Equal("3", await redis.CommandAsync("RPUSH", "list", "a", "b", ""));
        Assert.Equal("a\nb\n", await redis.CommandAsync("LRANGE", "list", "0", "-1"));
        Assert.Equal("greeting", await redis.CommandAsync("KEYS", "gr*"));
        Assert.StartsWith("ERR unknown command", await redis.CommandAsync("NO-SUCH-COMMAND"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_servers_run_side_by_side_on_their_own_ports()
    {
        await using var first = await RedisServer.StartAsync();
        await using var second = await RedisServer.StartAsync();

        Assert.NotEqual(first.Port, second.Port);
        await first.CommandAsync("SET", "where", "first");
        Assert.Equal("(nil)", await second.CommandAsync("GET", "where"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_persistent_server_keeps_its_keys_across_a_restart(bool graceful)
    {
        await using var redis = await RedisServer.StartAsync(persistent: true);
        int port = redis.Port, pid = redis.Pid;
        Assert.Equal("OK", await redis.CommandAsync("SET", "kept", "yes"));

        await redis.RestartAsync(graceful);

        Assert.False(IsAlive(pid), $"the first server, pid {pid}, is still running");
        Assert.NotEqual(pid, redis.Pid);
        Assert.Equal(port, redis.Port);
        Assert.Equal("yes", await redis.CommandAsync("GET", "kept"));
    }

    [Fact]
    public async Task A_server_that_is_not_persistent_starts_again_empty()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.CommandAsync("SET", "lost", "yes");

        await redis.RestartAsync();

        Assert.Equal("(nil)", await redis.CommandAsync("GET", "lost"));
    }

    [Fact]
    public async Task A_stopped_server_refuses_connections_until_it_is_restarted()
    {
        await using var redis = await RedisServer.StartAsync();

        await redis.StopAsync();
        Assert.False(IsAlive(redis.Pid));
        await Assert.ThrowsAnyAsync<SocketException>(() => redis.CommandAsync("PING"));

        await redis.RestartAsync();
        Assert.Equal("PONG", await redis.CommandAsync("PING"));
    }

    [Fact]
    public async Task Disposing_leaves_no_process_and_no_directory()
    {
        var redis = await RedisServer.StartAsync(persistent: true);
        await redis.CommandAsync("SET", "k", "v");
        int pid = redis.Pid;
        string directory = redis.DataDirectory;
        Assert.True(Directory.Exists(directory));

        await redis.DisposeAsync();

        Assert.False(IsAlive(pid), $"redis-server pid {pid} outlived its fixture");
        Assert.False(Directory.Exists(directory), $"{directory} was left behind");
        await Assert.ThrowsAnyAsync<SocketException>(() => redis.CommandAsync("PING"));
    }

    /// <summary>Whether a process with <paramref name="pid"/> exists (signal 0 checks without sending).</summary>
    private static bool IsAlive(int pid) => ProcessControl.Signal(pid, 0) || Directory.Exists($"/proc/{pid}");
}
