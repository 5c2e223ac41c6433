using LeaseBoard.Data;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Environments;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

public static class BookingSetup
{
    public static WebApplicationBuilder AddBooking(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddTimeProvider();
        builder.Services.AddOptions<BookingOptions>().BindConfiguration(BookingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<EnvironmentOptions>().BindConfiguration(EnvironmentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<BookingService>();
        builder.Services.AddSingleton<ReservationQueries>();
        builder.Services.AddSingleton<EnvironmentSync>();
        builder.Services.AddSingleton<BoardEvents>();
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
            services.AddSingleton(TimeProvider.System);
    }

    /// <summary>Migrates (unless turned off) and syncs the environments before the app takes requests.</summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var dbs = app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            if (options.MigrateOnStartup)
                await db.Database.MigrateAsync();
            if (db.Provider == DatabaseProvider.Sqlite)
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }
        await app.Services.GetRequiredService<EnvironmentSync>().SyncAsync(CancellationToken.None);
    }
}
