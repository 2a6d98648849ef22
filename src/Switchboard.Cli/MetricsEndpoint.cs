using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Switchboard.Diagnostics;

namespace Switchboard.Cli;

/// <summary>
/// <c>serve --metrics HOST:PORT</c>: the Switchboard meter in the Prometheus text format at
/// <c>http://HOST:PORT/metrics</c>, served by Kestrel through OpenTelemetry's Prometheus exporter.
/// Built from an empty host (<see cref="EmptyKestrel"/>).
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

    /// <summary>The most scrapers' connections open at once: a few scrapers need no more, and a flood of connections gets no more.</summary>
    public const int MaxConnections = 64;

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The address to scrape.</summary>
    public string Url => $"http://{EndPoint}{Path}";

    /// <summary>Listens on <paramref name="at"/> and serves the meter until disposed.</summary>
    /// <exception cref="IOException">The address cannot be listened on (in use, say): Kestrel's own message.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be listened on (not this machine's, or a port that needs privileges).</exception>
    public static async Task<MetricsEndpoint> StartAsync(IPEndPoint at, ILoggerFactory loggerFactory)
    {
        var builder = EmptyKestrel.CreateBuilder(at, loggerFactory, MaxConnections, maxUpgraded: 0);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .ConfigureResource(resource => resource.AddService("switchboard"))
            .AddMeter(SwitchboardMetrics.MeterName)
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(Path);
        return new MetricsEndpoint(app, await EmptyKestrel.StartAsync(app, at).ConfigureAwait(false));
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
}
