using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

public static class HostSetup
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

    /// <summary>Every clock read goes through <see cref="TimeProvider"/>; tests put in a fake one first.</summary>
    public static WebApplicationBuilder AddClock(this WebApplicationBuilder builder)
    {
        if (builder.Services.All(d => d.ServiceType != typeof(TimeProvider)))
            builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Binds an options class to its configuration section and validates it (data annotations and
    /// <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>) when the app starts, so a
    /// bad setting stops the start with its message instead of failing later on first use.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
