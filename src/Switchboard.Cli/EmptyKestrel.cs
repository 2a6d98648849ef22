using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard.Tls;

namespace Switchboard.Cli;

/// <summary>
/// Kestrel on an empty host, for serve's HTTP listeners (<c>--metrics</c>, <c>--web</c>): no
/// configuration files, no environment variables, no console logger of its own. The command line
/// says everything, Kestrel logs through serve's own logger, and serve keeps the process's
/// signals and its exit.
/// </summary>
internal static class EmptyKestrel
{
    /// <summary>
    /// A builder whose Kestrel listens on <paramref name="at"/> alone, with at most
    /// <paramref name="maxConnections"/> HTTP connections open and <paramref name="maxUpgraded"/>
    /// upgraded ones (WebSockets; once upgraded a connection counts there, not in the first): past
    /// them Kestrel closes a new connection at once, so that idle keep-alive connections cannot
    /// take every descriptor. With <paramref name="tls"/>, it speaks HTTPS only, presenting the
    /// certificate in force at each handshake (a reload's <see cref="ServerCertificate.ReplaceWith"/>
    /// counts from the next one).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(IPEndPoint at, ILoggerFactory loggerFactory, long maxConnections, long maxUpgraded, ServerCertificate? tls = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<ILoggerFactory>(new WarningsOnly(loggerFactory));
        builder.Services.AddLogging();
        // serve owns the process's signals and its exit: the host must not take Ctrl-C or SIGTERM.
        builder.Services.AddSingleton<IHostLifetime, ServeOwnsTheProcess>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = maxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = maxUpgraded;
            kestrel.Listen(at, listen =>
            {
                // The certificate in force and its intermediates, at each handshake.
                if (tls is not null)
                {
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = tls.Context,
                            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        }),
                    });
                }
            });
        });
        return builder;
    }

    /// <summary>Starts <paramref name="app"/> (disposed if it cannot); returns where it listens, the real port when 0 was asked for.</summary>
    /// <exception cref="IOException">The address cannot be listened on (in use, say): Kestrel's own message.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be listened on (not this machine's, or a port that needs privileges).</exception>
    public static async Task<IPEndPoint> StartAsync(WebApplication app, IPEndPoint at)
    {
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new IPEndPoint(at.Address, new Uri(address).Port);
    }

    /// <summary>A lifetime that waits for nothing and hooks no signal: serve's own handlers stop it.</summary>
    private sealed class ServeOwnsTheProcess : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// serve's loggers, for Kestrel and the host: their warnings and errors only (a scrape, or the
    /// host starting, is not news in serve's log).
    /// </summary>
    private sealed class WarningsOnly(ILoggerFactory inner) : ILoggerFactory
    {
        // The host's own lines ("Hosting failed to start", …) are said by serve, once, as its error.
        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)
                ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance
                : new Filtered(inner.CreateLogger(categoryName));

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("serve's loggers are configured by serve");

        public void Dispose()
        {
            // serve's factory: serve disposes it.
        }

        private sealed class Filtered(ILogger inner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => inner.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                    inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
