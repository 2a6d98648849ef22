using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard.KestrelEcho;

// Usage: Switchboard.KestrelEcho [PORT [CERT.pem KEY.pem]]. Prints "listening on IP:PORT (echo, kestrel)" when ready,
// like `switchboard serve`, so the benchmark harness runs it the same way. Stops on SIGTERM.
// With a certificate and key, the echo is behind Kestrel's own TLS (the HTTPS connection middleware).
int port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 0;
using var certificate = args.Length > 2 ? X509Certificate2.CreateFromPemFile(args[1], args[2]) : null;
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Loopback, port, listen =>
    {
        if (certificate is not null)
            listen.UseHttps(certificate);
        listen.UseConnectionHandler<EchoHandler>();
    }));
await using var app = builder.Build();
await app.StartAsync();
string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
var endPoint = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
Console.WriteLine($"listening on 127.0.0.1:{endPoint.Port} (echo, kestrel)");
await app.WaitForShutdownAsync();
