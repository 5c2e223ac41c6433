using LeaseBoard.Features.Booking;

namespace LeaseBoard.Setup;

public static class BookingSetup
{
    public static WebApplicationBuilder AddBooking(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<BookingOptions>(BookingOptions.Section);
        builder.Services.AddBookingServices();
        return builder;
    }

    /// <summary>The guard, booking, maintenance windows and relocation (services only; tests build this part alone with their own options).</summary>
    public static IServiceCollection AddBookingServices(this IServiceCollection services)
    {
        services.AddTelemetryInstruments();
        services.AddSingleton<SlotGuard>();
        services.AddSingleton<ReservationFollowUps>();
        services.AddSingleton<BookingService>();
        services.AddSingleton<ReservationQueries>();
        services.AddSingleton<LeaseBoard.Features.Reliability.ReliabilityQueries>();
        services.AddSingleton<Teams>();
        services.AddSingleton<BoardSnapshot>();
        services.AddSingleton<MaintenanceWindows>();
        services.AddSingleton<ReservationRelocation>();
        return services;
    }

    public static WebApplication MapBooking(this WebApplication app)
    {
        app.MapCalendarFeeds(); // after the API's rate limiter
        return app;
    }
}
