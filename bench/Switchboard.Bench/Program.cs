using System.CommandLine;
using Switchboard.Bench;
using Switchboard.Cli;

var root = BenchCommand.Create();
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line, no usage dump, as switchboard does: the first thing that is wrong and where help is.
    return BenchCli.Fail(ExitCodes.Usage, $"{ParseErrors.Describe(parse.Errors)} (see '{BenchCli.Name} --help')");
}

try
{
    // Ctrl-C and SIGTERM are handled by the run itself (it stops the server and keeps what was measured).
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (Exception e) // the last line of defence: one readable line instead of a stack trace
{
    return BenchCli.Fail(ExitCodes.Failure, $"unexpected error: {e.Message}");
}
