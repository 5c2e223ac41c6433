using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace LeaseBoard.Setup;

public static class ConfigurationSetup
{
    /// <summary>
    /// The base <c>appsettings.json</c> lives at the repository root and is copied next to the binaries;
    /// read it from there so the app finds it whatever the working directory (root, LeaseBoard/, publish folder).
    /// Environment variables and the command line still override it.
    /// </summary>
    public static WebApplicationBuilder UseRepositoryAppSettings(this WebApplicationBuilder builder)
    {
        IConfigurationBuilder configuration = builder.Configuration;
        var sources = configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource { Path: { } path } json && path.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase))
            {
                sources[i] = new JsonConfigurationSource
                {
                    Path = path,
                    Optional = json.Optional,
                    ReloadOnChange = json.ReloadOnChange,
                    FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
                };
            }
        }
        return builder;
    }
}
