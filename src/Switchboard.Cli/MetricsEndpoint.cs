using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Switchboard.Diagnostics;

namespace Switchboard.Cli;

/// <summary>
/// <c>serve --metrics HOST:PORT</c>: the Switchboard meter in the Prometheus text format at
/// <c>http://HOST:PORT/metrics</c>, served by Kestrel through OpenTelemetry's Prometheus exporter.
/// Built from an empty host (no configuration files, no environment variables, no console
/// logger of its own): the command line says everything, and Kestrel logs through serve's own
/// logger.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    /// <summary>The path scraped.</summary>
    public const string Path = "/metrics";

    private readonly WebApplication _app;

    private MetricsEndpoint(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The address to scrape.</summary>
    public string Url => $"http://{EndPoint}{Path}";

    /// <summary>Listens on <paramref name="at"/> and serves the meter until disposed.</summary>
    /// <exception cref="IOException">The address cannot be listened on (in use, say): Kestrel's own message.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be listened on (not this machine's, or a port that needs privileges).</exception>
    public static async Task<MetricsEndpoint> StartAsync(IPEndPoint at, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<ILoggerFactory>(new WarningsOnly(loggerFactory));
        builder.Services.AddLogging();
        // serve owns the process's signals and its exit: the host must not take Ctrl-C or SIGTERM.
        builder.Services.AddSingleton<IHostLifetime, ServeOwnsTheProcess>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(at));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .ConfigureResource(resource => resource.AddService("switchboard"))
            .AddMeter(SwitchboardMetrics.MeterName)
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(Path);
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
        var uri = new Uri(address);
        return new MetricsEndpoint(app, new IPEndPoint(at.Address, uri.Port));
    }

    /// <summary>
    /// In a forking worker of a server with metrics: its connections' line ends are counted (they
    /// are reported to the parent, whose endpoint serves them), as they would be were the
    /// exporter in this process. Nothing is collected here.
    /// </summary>
    public static IDisposable CountLinesForParent()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SwitchboardMetrics.MeterName && instrument.Name == "switchboard.lines")
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        listener.Start();
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
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
