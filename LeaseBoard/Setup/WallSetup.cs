using LeaseBoard.Features.Leases;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Wall;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

public static class WallSetup
{
    public static WebApplicationBuilder AddWall(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<WallOptions>(WallOptions.Section)
            .Configure<IOptionsMonitor<LeaseOptions>>((wall, leases) => wall.HangTimeout = leases.CurrentValue.HangTimeout);
        builder.Services.AddSingleton<WallQueries>();
        builder.Services.AddSingleton<WallFeed>();
        builder.Services.AddSingleton<IKioskKeyCheck, WallKioskKeyCheck>();
        return builder;
    }

    /// <summary>Before routing's endpoints: the kiosk key or a sign-in decides who sees the wall.</summary>
    public static WebApplication MapWall(this WebApplication app)
    {
        app.Use(WallGuard.GuardAsync);
        return app;
    }
}
