using System.Diagnostics;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The conformance suite on the forking engine, against real worker processes: the prefork parent
/// runs here, in the test process, and its workers are <c>switchboard-test-worker</c>, which
/// serves the suite's protocols and relays what they see over the hosting channel to
/// <see cref="EngineConformanceTests.Probe"/>. What is forking's alone (crash isolation,
/// recycling, the pool's limits) is tested through the real executable in Cli/Forking*Tests.
/// </summary>
public sealed class ForkingConformanceTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "forking";

    /// <summary>A process each: a few, not hundreds.</summary>
    protected override int ConcurrentClients => 8;

    protected override bool CountsConnectionsInThisProcess => false;

    /// <summary>Each worker process has its own runtime, so its own total of queued output.</summary>
    protected override bool SharesOneOutputTotal => false;

    protected override Server CreateServer(TestProtocol protocol, ServerOptions options)
    {
        var worker = new TestWorkerArguments(protocol, options, ConnectionsPerWorker: 0);
        var engine = new ForkingEngine { MinSpareWorkers = 2, MaxWorkers = ConcurrentClients, WorkerProgram = () => TestWorkerProgram(worker) };
        return new Server(engine, options, () => throw new InvalidOperationException("a forking parent serves no connection itself"))
        {
            WorkerMessageHandler = () => new ProbeRelayHost(Probe),
        };
    }

    private static ProcessStartInfo TestWorkerProgram(TestWorkerArguments worker)
    {
        var start = new ProcessStartInfo(CliProcess.DotnetHost()) { UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "switchboard-test-worker.dll"));
        foreach (string argument in worker.Format())
            start.ArgumentList.Add(argument);
        return start;
    }
}
