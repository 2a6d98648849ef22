using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Tests.Support;

/// <summary>
/// A real TLS server for client tests: <c>openssl s_server</c> on a loopback port it picks itself,
/// serving one connection with <see cref="TestCertificate"/>'s certificate. What the client sends
/// shows up in <see cref="Output"/> (with s_server's own report lines); what is written with
/// <see cref="SendAsync"/> goes to the client. Killed by its pid on dispose.
/// </summary>
public sealed class OpenSslServer : IDisposable
{
    private readonly Process _process;

    private OpenSslServer(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                Output.Add(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                Output.Add(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Lines s_server wrote: its report (<c>ACCEPT …</c>, <c>CIPHER is …</c>) and what the client sent.</summary>
    public EventLog<string> Output { get; } = new();

    /// <summary>The port it listens on, on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>Starts s_server with <paramref name="certificate"/> and waits until it listens.</summary>
    public static async Task<OpenSslServer> StartAsync(TestCertificate certificate)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["s_server", "-accept", "127.0.0.1:0", "-cert", certificate.CertPath, "-key", certificate.KeyPath, "-naccept", "1"])
            start.ArgumentList.Add(arg);
        var server = new OpenSslServer(Process.Start(start)!);
        try
        {
            var lines = await server.Output.WaitUntilAsync(l => l.Any(x => x.StartsWith("ACCEPT ", StringComparison.Ordinal)), Timeouts.Quick, "s_server's ACCEPT line");
            string accept = lines.First(x => x.StartsWith("ACCEPT ", StringComparison.Ordinal));
            server.Port = int.Parse(accept[(accept.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the handshake with a client is done (s_server reports the cipher).</summary>
    public Task HandshakeDoneAsync() =>
        Output.WaitUntilAsync(l => l.Any(x => x.StartsWith("CIPHER is ", StringComparison.Ordinal)), Timeouts.Quick, "the handshake");

    /// <summary>Waits until a line the client sent (or s_server wrote) equals <paramref name="line"/>.</summary>
    public Task ReceivedAsync(string line) =>
        Output.WaitUntilAsync(l => l.Contains(line), Timeouts.Quick, $"'{line}'");

    /// <summary>Sends <paramref name="text"/> to the client, encrypted.</summary>
    public async Task SendAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(Timeouts.Quick);
        }

        _process.Dispose();
    }
}
