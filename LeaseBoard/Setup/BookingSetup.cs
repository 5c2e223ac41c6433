using LeaseBoard.Features.Booking;

namespace LeaseBoard.Setup;

public static class BookingSetup
{
    public static WebApplicationBuilder AddBooking(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<BookingOptions>(BookingOptions.Section);
        builder.Services.AddSingleton<BookingService>();
        builder.Services.AddSingleton<ReservationQueries>();
        return builder;
    }

    public static WebApplication MapBooking(this WebApplication app)
    {
        app.MapCalendarFeeds(); // after the API's rate limiter
        return app;
    }
}
