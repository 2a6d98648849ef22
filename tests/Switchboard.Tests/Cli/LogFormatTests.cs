using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary><c>serve --log-format text|json|systemd</c>, and the event ids every log line carries.</summary>
public sealed partial class LogFormatTests
{
    private const int GotConnection = 300; // ConnectionBase.Log.Connected
    private const int StartedWorker = 402; // PreforkPool.Log.Started

    [Fact]
    public async Task Json_writes_every_line_as_one_json_object_with_event_id_category_and_a_utc_time()
    {
        var (lines, client) = await ServeOneClientAsync("--log-format", "json");

        var events = lines.Select(ParseJson).ToList();
        var connected = Assert.Single(events, e => e.GetProperty("EventId").GetInt32() == GotConnection);
        Assert.Equal("Switchboard.Server", connected.GetProperty("Category").GetString());
        Assert.Equal("Information", connected.GetProperty("LogLevel").GetString());
        Assert.Equal($"Got connection from {client}", connected.GetProperty("Message").GetString());
        Assert.Equal(client, connected.GetProperty("State").GetProperty("Remote").GetString());
        foreach (var e in events)
        {
            string timestamp = e.GetProperty("Timestamp").GetString()!;
            Assert.EndsWith("Z", timestamp, StringComparison.Ordinal);
            var time = DateTimeOffset.Parse(timestamp, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs((DateTimeOffset.UtcNow - time).TotalMinutes) < 5, $"not a UTC time: {timestamp}");
        }

        Assert.Equal("Switchboard.Cli", events[^1].GetProperty("Category").GetString());
        Assert.Equal("Stopped", events[^1].GetProperty("Message").GetString());
    }

    [Fact]
    public async Task Systemd_writes_the_priority_journald_reads_then_category_and_event_id_and_no_time()
    {
        var (lines, client) = await ServeOneClientAsync("--log-format", "systemd");

        Assert.All(lines, line => Assert.Matches(@"^<[0-7]>Switchboard\.[A-Za-z.]+\[\d+\] ", line));
        Assert.Contains($"<6>Switchboard.Server[{GotConnection}] Got connection from {client}", lines);
        Assert.Equal("<6>Switchboard.Cli[104] Stopped", lines[^1]);
    }

    [Theory]
    [InlineData("--log-format", "text")]
    [InlineData("--log-format", "TEXT")]
    [InlineData("--log-level", "information")] // no --log-format: text is the default
    public async Task Text_is_the_default_and_unchanged(string flag, string value)
    {
        var (lines, client) = await ServeOneClientAsync(flag, value);

        Assert.All(lines, line => Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} (trce |dbug |info |warn |error|crit ) \S", line));
        Assert.Contains(lines, line => TextLine().Match(line) is { Success: true } m && m.Groups["message"].Value == $"Got connection from {client}");
        Assert.EndsWith(" info  Stopped", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_format_is_one_line_naming_the_flag_and_the_choices_and_exit_code_2()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", "0", "--log-format", "xml");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("switchboard: --log-format: unknown format 'xml' (choose from: text, json, systemd)\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Forking_json_lines_from_a_worker_carry_its_pid()
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0", "-e", "forking", "--workers", "1..2", "--log-format", "json");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        string remote;
        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            remote = client.Socket.LocalEndPoint!.ToString()!;
            await client.AssertEchoesAsync("ping");
        }

        await cli.StderrLines.WaitUntilAsync(
            l => l.Any(x => x.Contains($"\"Message\":\"{remote} disconnected", StringComparison.Ordinal)), Timeouts.Patient, "the disconnection");
        await cli.StopGracefullyAsync();

        var events = cli.Stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').Select(ParseJson).ToList();
        var started = events.Where(e => e.GetProperty("EventId").GetInt32() == StartedWorker)
            .Select(e => e.GetProperty("State").GetProperty("Pid").GetInt32()).ToList();
        Assert.NotEmpty(started);
        var connected = Assert.Single(events, e => e.GetProperty("Message").GetString() == $"Got connection from {remote}");
        int worker = WorkerPid(connected) ?? throw new Xunit.Sdk.XunitException($"no worker pid: {connected}");
        Assert.Contains(worker, started);
        Assert.NotEqual(cli.Pid, worker);

        // Every line says which process wrote it: a worker's carry its pid, the parent's none.
        Assert.All(events.Where(e => e.GetProperty("EventId").GetInt32() == StartedWorker), e => Assert.Null(WorkerPid(e)));
        Assert.All(events.Where(e => WorkerPid(e) is not null), e => Assert.Contains(WorkerPid(e)!.Value, started));
        var own = events.Where(e => WorkerPid(e) == worker).ToList();
        Assert.Contains(own, e => e.GetProperty("Message").GetString() == "Stopped");
        Assert.All(own, e => Assert.Equal($"worker {worker}", e.GetProperty("Scopes")[0].GetProperty("Message").GetString()));
    }

    [Fact]
    public async Task Forking_systemd_lines_from_a_worker_carry_its_pid()
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0", "-e", "forking", "--workers", "1..2", "--log-format", "systemd");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        string remote;
        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            remote = client.Socket.LocalEndPoint!.ToString()!;
            await client.AssertEchoesAsync("ping");
        }

        var lines = await cli.StderrLines.WaitUntilAsync(
            l => l.Any(x => x.EndsWith($"Got connection from {remote}", StringComparison.Ordinal)), Timeouts.Patient, "the connection");
        await cli.StopGracefullyAsync();

        string line = lines.Single(x => x.EndsWith($"Got connection from {remote}", StringComparison.Ordinal));
        var match = Regex.Match(line, $@"^<6>Switchboard\.Server\[{GotConnection}\] => worker (?<pid>\d+) Got connection from ");
        Assert.True(match.Success, line);
        int worker = int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture);
        Assert.Contains($"<6>Switchboard.Server[{StartedWorker}] Started worker {worker} ", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_LoggerMessage_in_src_has_an_event_id_and_no_two_share_one()
    {
        string src = Path.Combine(Repository.Root, "src");
        var ids = new Dictionary<int, string>();
        var missing = new List<string>();
        foreach (string file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(src, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin"))
                continue;
            foreach (Match attribute in LoggerMessageAttribute().Matches(File.ReadAllText(file)))
            {
                string where = $"{relative}: {attribute.Value}";
                var id = EventIdArgument().Match(attribute.Groups["args"].Value);
                if (!id.Success)
                {
                    missing.Add(where);
                    continue;
                }

                int value = int.Parse(id.Groups["id"].Value, CultureInfo.InvariantCulture);
                Assert.False(ids.TryGetValue(value, out string? other), $"event id {value} twice:\n{other}\n{where}");
                ids[value] = where;
            }
        }

        Assert.True(missing.Count == 0, "no EventId:\n" + string.Join("\n", missing));
        Assert.True(ids.Count >= 50, $"found only {ids.Count} [LoggerMessage] attributes under {src}");
        Assert.Contains(GotConnection, ids.Keys);
        Assert.Contains(StartedWorker, ids.Keys);
    }

    /// <summary>Serves echo with <paramref name="args"/>, one client that is echoed, then stops: stderr's lines, and the client's address.</summary>
    private static async Task<(IReadOnlyList<string> Lines, string Client)> ServeOneClientAsync(params string[] args)
    {
        using var cli = CliProcess.Start(["serve", "echo", "--port", "0", .. args]);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        string remote;
        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            remote = client.Socket.LocalEndPoint!.ToString()!;
            await client.AssertEchoesAsync("ping");
        }

        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains($"{remote} disconnected", StringComparison.Ordinal)), what: "the disconnection");
        await cli.StopGracefullyAsync();
        return (cli.Stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'), remote);
    }

    private static JsonElement ParseJson(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"not a JSON line ({e.Message}): {line}");
        }
    }

    /// <summary>The pid in a json line's worker scope; null for a line from the parent.</summary>
    private static int? WorkerPid(JsonElement line) =>
        line.GetProperty("Scopes").EnumerateArray()
            .Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("WorkerPid", out _))
            .Select(s => (int?)s.GetProperty("WorkerPid").GetInt32())
            .FirstOrDefault();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} \S+\s+(?<message>.*)$")]
    private static partial Regex TextLine();

    // [LoggerMessage(...)]: the arguments, string literals (which may hold parentheses) or anything but quotes and parentheses.
    [GeneratedRegex(@"\[LoggerMessage\((?<args>(?:""(?:[^""\\]|\\.)*""|[^""()])*)\)\]")]
    private static partial Regex LoggerMessageAttribute();

    [GeneratedRegex(@"\bEventId\s*=\s*(?<id>\d+)")]
    private static partial Regex EventIdArgument();
}
