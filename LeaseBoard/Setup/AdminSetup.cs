using LeaseBoard.Features.Admin;

namespace LeaseBoard.Setup;

public static class AdminSetup
{
    /// <summary>The admin actions and queries (services only; tests build this part alone, with <see cref="NotificationsSetup.AddNotificationServices"/>).</summary>
    public static IServiceCollection AddAdminServices(this IServiceCollection services)
    {
        services.AddSingleton<AdminService>();
        services.AddSingleton<AdminQueries>();
        services.AddSingleton<FairUseAdmin>();
        return services;
    }

    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddAdminServices();
        return builder;
    }

    public static WebApplication MapAdmin(this WebApplication app)
    {
        app.MapAuditExport();
        return app;
    }
}
