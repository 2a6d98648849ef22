// The harness reads /proc and pins processes to cores: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
