namespace Switchboard.Bench;

/// <summary>
/// Scrapes a server's <c>--metrics</c> endpoint as Prometheus would, once every
/// <see cref="Every"/> over one connection kept alive, reading each whole answer: what the
/// server spends answering is then part of its CPU per message, as it is in production.
/// </summary>
internal sealed class MetricsScraper : IAsyncDisposable
{
    /// <summary>How often it scrapes (Prometheus's default interval is 60 s; one second is a busy scraper).</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ScrapeTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http = new() { Timeout = ScrapeTimeout };
    private readonly CancellationTokenSource _stop = new();
    private readonly Uri _url;
    private Task _loop = Task.CompletedTask;
    private string? _lastError;

    private MetricsScraper(Uri url) => _url = url;

    /// <summary>Scrapes that answered 200 with their whole body read.</summary>
    public int Scrapes { get; private set; }

    /// <summary>Scrapes that failed: refused, timed out, or answered with an error status.</summary>
    public int Failures { get; private set; }

    /// <summary>Why the scrapes failed, with the last failure's reason; null if none did.</summary>
    public string? FailureDescription =>
        Failures == 0 ? null : $"{Failures} of {Scrapes + Failures} scrapes of {_url} failed (last: {_lastError})";

    /// <summary>Scrapes <paramref name="url"/> now and then every <see cref="Every"/>, until <see cref="StopAsync"/>.</summary>
    public static MetricsScraper Start(Uri url)
    {
        var scraper = new MetricsScraper(url);
        scraper._loop = scraper.LoopAsync();
        return scraper;
    }

    /// <summary>Stops scraping; a scrape under way is finished (within its timeout) and counted.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Every);
        try
        {
            do
            {
                await ScrapeAsync().ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // stopped between scrapes
        }
    }

    private async Task ScrapeAsync()
    {
        try
        {
            using var response = await _http.GetAsync(_url, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                Scrapes++;
                return;
            }

            _lastError = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (HttpRequestException e)
        {
            _lastError = e.Message;
        }
        catch (TaskCanceledException)
        {
            _lastError = $"no answer within {ScrapeTimeout.TotalSeconds:0} s";
        }

        Failures++;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _http.Dispose();
        _stop.Dispose();
    }
}
