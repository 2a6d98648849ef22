using System.Globalization;
using StackExchange.Redis;

namespace Switchboard.Apps.Chat.Redis;

/// <summary>Where the Redis hub lives: <c>redis://HOST:PORT[/DB]</c>, parsed once, with the connection settings the hub relies on.</summary>
internal sealed record RedisHubAddress(string Host, int Port, int Database)
{
    public const string Form = "redis://HOST:PORT[/DB]";

    /// <summary>Parses <paramref name="url"/>; an <see cref="ArgumentException"/> names what is wrong with it.</summary>
    public static RedisHubAddress Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "redis" || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"bad --hub '{url}': expected {Form}, e.g. redis://127.0.0.1:6379");
        int port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        string path = uri.AbsolutePath.Trim('/');
        int database = 0;
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15))
            throw new ArgumentException($"bad --hub '{url}': the database after '/' must be a number 0-15");
        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0)
            throw new ArgumentException($"bad --hub '{url}': expected {Form} (no user, password or options)");
        return new RedisHubAddress(uri.Host.Trim('[', ']'), port, database);
    }

    /// <summary>
    /// The client's settings: fail at once when Redis cannot be reached at start (the server then
    /// exits), and later fail a command at once while disconnected (a line said then is refused
    /// with a word, not queued to arrive who knows when); reconnect by itself.
    /// </summary>
    public ConfigurationOptions ToConfiguration()
    {
        var config = new ConfigurationOptions
        {
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = 3000,
            AsyncTimeout = 5000,
            SyncTimeout = 5000,
            KeepAlive = 5,
            DefaultDatabase = Database,
            ClientName = "switchboard-chat",
            BacklogPolicy = BacklogPolicy.FailFast,
            ReconnectRetryPolicy = new LinearRetry(500),
        };
        config.EndPoints.Add(Host, Port);
        return config;
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
