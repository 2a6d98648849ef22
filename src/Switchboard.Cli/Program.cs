using System.CommandLine;
using Switchboard.Cli;
using Switchboard.Hosting;

// One write(2) per line on stderr. .NET's own stderr writer flushes every 256 characters, so a
// longer log line left in pieces, and a forking server's parent and workers, which share stderr,
// cut into each other's lines (a JSON line broken in two). With a buffer larger than any line and
// a flush after each write, a line goes out whole; a pipe keeps writes of up to 4 KiB whole.
Console.SetError(new StreamWriter(Console.OpenStandardError(), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 16 * 1024) { AutoFlush = true });

// A forking server's workers are this program again, with the same arguments (see Prefork).
try
{
    Prefork.InitializeWorker();
}
catch (InvalidOperationException e)
{
    return Cli.Fail(ExitCodes.Failure, e.Message);
}

var serve = ServeCommand.Create();
var root = new RootCommand(
    "Switchboard: concurrent TCP servers. One protocol API, interchangeable engines (iterative, threading, forking, async, select, poll, epoll, uring), " +
    "the apps time, echo, print and chat, and a non-blocking client. The benchmark of the engines is a program of its own, " +
    "in the source tree: dotnet run -c Release --project bench/Switchboard.Bench -- --help")
{
    serve,
    ConnectCommand.Create(),
    EnginesCommand.Create(),
};

CliHelp.Install(root);

// The benchmark was 'switchboard bench' before it became a program of its own: whatever follows
// (options, --help), say in one line where it is now.
if (args is ["bench", ..])
{
    return Cli.Fail(ExitCodes.Usage,
        "the benchmark is its own program now, in the source tree: dotnet run -c Release --project bench/Switchboard.Bench -- SCENARIO [options]");
}

// serve's configuration file and environment become options the command line did not give.
if (!ServeConfiguration.TryExpand(root, serve, ServeCommand.ConfigOption, args, out args, out string? configError))
    return Cli.Fail(ExitCodes.Usage, configError);

var parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.Action is not CliHelp) // "serve -h" is help, though the app is missing
{
    // One line, no usage dump: name the first thing that is wrong and where help is.
    // A message of our own parsers names the flag and what to write: no pointer to help needed.
    string message = ParseErrors.Describe(parse.Errors, OptionNames.Origins);
    if (message.StartsWith('-') || OptionNames.Origins.Values.Any(origin => message.StartsWith(origin, StringComparison.OrdinalIgnoreCase)))
        return Cli.Fail(ExitCodes.Usage, message);
    string command = parse.CommandResult.Command == root ? "switchboard" : $"switchboard {parse.CommandResult.Command.Name}";
    return Cli.Fail(ExitCodes.Usage, $"{message} (see '{command} --help')");
}

try
{
    // Ctrl-C and SIGTERM are handled by the commands themselves (graceful shutdown), not by System.CommandLine.
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
#pragma warning disable CA1031 // The last line of defence: one readable line instead of a stack trace.
catch (Exception e)
#pragma warning restore CA1031
{
    return Cli.Fail(ExitCodes.Failure, $"unexpected error: {e.Message}");
}
