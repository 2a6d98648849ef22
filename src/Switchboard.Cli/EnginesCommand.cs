using System.CommandLine;
using Switchboard.Engines;

namespace Switchboard.Cli;

/// <summary><c>switchboard engines</c>: each engine, whether it runs here, and why not.</summary>
internal static class EnginesCommand
{
    public static Command Create()
    {
        var command = new Command("engines", "List the engines, whether each runs on this machine, and why not.");
        command.SetAction(_ =>
        {
            int width = EngineCatalog.All.Max(e => e.Name.Length);
            foreach (var engine in EngineCatalog.All)
            {
                var support = engine.Support;
                string status = support.IsSupported ? "yes" : "no ";
                string why = support.IsSupported ? engine.Summary : $"{engine.Summary} -- unavailable: {support.Reason}";
                string isDefault = engine == EngineCatalog.Default ? " (default)" : "";
                Console.WriteLine($"{engine.Name.PadRight(width)}  {status}  {why}{isDefault}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
