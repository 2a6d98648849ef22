using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Switchboard.KestrelEcho;

/// <summary>Echoes every byte back, the way Kestrel's own samples do: read from the input pipe, write to the output pipe.</summary>
internal sealed class EchoHandler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            foreach (var segment in buffer)
                await output.WriteAsync(segment);
            input.AdvanceTo(buffer.End);
            if (result.IsCompleted)
                break;
        }
    }
}
