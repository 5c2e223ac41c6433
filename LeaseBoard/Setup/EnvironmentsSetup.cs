using LeaseBoard.Features.Environments;

namespace LeaseBoard.Setup;

public static class EnvironmentsSetup
{
    public static WebApplicationBuilder AddEnvironments(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<EnvironmentOptions>(EnvironmentOptions.Section);
        builder.Services.AddSingleton<EnvironmentSync>();
        return builder;
    }

    /// <summary>Brings the environment rows in line with configuration before the app takes requests.</summary>
    public static Task SyncEnvironmentsAsync(this WebApplication app) =>
        app.Services.GetRequiredService<EnvironmentSync>().SyncAsync(CancellationToken.None);
}
