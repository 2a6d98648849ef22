using System.Runtime.InteropServices;
using Switchboard;
using Switchboard.Engines;
using Switchboard.Hosting;
using Switchboard.Tests.Support;

// A forking conformance server's worker (see the project file): serves what the test asked for
// until the parent ends it (SIGTERM) or its quota of connections is served.
if (!Prefork.InitializeWorker())
{
    Console.Error.WriteLine("switchboard-test-worker: runs only as a worker of the conformance suite's forking server");
    return 2;
}

var arguments = TestWorkerArguments.Parse(args);
var probe = new ProbeRelay(Prefork.Parent!);
var engine = new ForkingEngine { ConnectionsPerWorker = arguments.ConnectionsPerWorker };
var server = new Server(engine, arguments.Options, TestProtocols.Factory(arguments.Protocol, probe));
server.Start();

var terminated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    terminated.TrySetResult();
});
await Task.WhenAny(terminated.Task, server.AcceptingEnded);
await server.StopAsync();
return 0;
