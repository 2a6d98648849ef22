namespace Switchboard.Bench;

/// <summary>The <c>dotnet</c> host, to run a framework-dependent program's <c>.dll</c> with.</summary>
internal static class DotnetHost
{
    /// <summary>The host running the bench, else the one the SDK names (DOTNET_HOST_PATH), else <c>dotnet</c> on PATH.</summary>
    public static string Path =>
        Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";
}
