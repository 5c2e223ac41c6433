using LeaseBoard.Features.Framework;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

public static class FrameworkSetup
{
    /// <summary>The test framework drivers and the chosen one behind timeouts and retries.</summary>
    public static IServiceCollection AddTestFrameworkDrivers(this IServiceCollection services)
    {
        services.AddValidatedOptions<FrameworkOptions>(FrameworkOptions.Section);
        services.AddValidatedOptions<SimulatedFrameworkOptions>(SimulatedFrameworkOptions.Section);

        // Its commands are required only where it is the chosen driver: checked at start-up through FrameworkOptions.
        services.AddOptions<ProcessFrameworkOptions>().BindConfiguration(ProcessFrameworkOptions.Section).ValidateDataAnnotations();
        services.AddSingleton<IValidateOptions<FrameworkOptions>, ChosenDriverValidation>();
        services.AddSingleton<SimulatedTestFramework>();
        services.AddSingleton<ProcessTestFramework>();
        services.AddSingleton<ITestFramework>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FrameworkOptions>>().Value;
            ITestFramework driver = options.Driver == FrameworkDriver.Process
                ? sp.GetRequiredService<ProcessTestFramework>()
                : sp.GetRequiredService<SimulatedTestFramework>();
            return new ResilientTestFramework(driver, options, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IFaultInjection>(sp => sp.GetRequiredService<IOptions<FrameworkOptions>>().Value.Driver == FrameworkDriver.Simulated
            ? sp.GetRequiredService<SimulatedTestFramework>()
            : new NoFaultInjection());
        return services;
    }

    /// <summary>The drivers keep their state beside the database unless told otherwise.</summary>
    public static WebApplicationBuilder AddTestFramework(this WebApplicationBuilder builder)
    {
        var stateFolder = LeaseBoard.Data.DatabaseProviders.StateFolder(builder.Configuration, builder.Environment.ContentRootPath);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.PostConfigure<SimulatedFrameworkOptions>(o => o.StatePath = string.IsNullOrWhiteSpace(o.StatePath)
            ? Path.Combine(stateFolder, "simulated-framework.db")
            : Path.GetFullPath(o.StatePath, contentRoot));
        builder.Services.PostConfigure<ProcessFrameworkOptions>(o => o.StateDirectory = string.IsNullOrWhiteSpace(o.StateDirectory)
            ? Path.Combine(stateFolder, "process-runs")
            : Path.GetFullPath(o.StateDirectory, contentRoot));
        return builder;
    }
}
