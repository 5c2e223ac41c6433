using System.Runtime.CompilerServices;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Settings for every host this test process builds, set once before the first one. A host watches its
/// configuration files for changes with one inotify instance each, and Linux allows 128 per user by default:
/// with dozens of in-process hosts alive at once (the shared app, per-class factories, the accessibility and
/// telemetry hosts), the 129th failed to start ("The configured user limit (128) on the number of inotify
/// instances has been reached"). Tests never edit the files, so hosts here do not watch them.
/// </summary>
internal static class TestProcessSettings
{
    [ModuleInitializer]
    internal static void Apply()
    {
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
        // Anything else that watches files (content roots, static web assets) polls instead of taking an inotify instance.
        Environment.SetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER", "true");
    }
}
