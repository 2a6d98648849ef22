namespace Switchboard.Diagnostics;

/// <summary>
/// Where Switchboard's metrics come from: one <see cref="System.Diagnostics.Metrics.Meter"/> named
/// <see cref="MeterName"/>, for every server in the process, on every engine. Listen to it with
/// OpenTelemetry (<c>AddMeter(SwitchboardMetrics.MeterName)</c>), a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>, or <c>dotnet-counters monitor
/// --counters Switchboard</c>. docs/operations.md lists every instrument.
/// </summary>
public static class SwitchboardMetrics
{
    /// <summary>The meter's name: "Switchboard".</summary>
    public const string MeterName = "Switchboard";
}
