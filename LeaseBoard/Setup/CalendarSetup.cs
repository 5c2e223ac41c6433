using LeaseBoard.Features.Calendar;

namespace LeaseBoard.Setup;

public static class CalendarSetup
{
    public static WebApplicationBuilder AddCalendar(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<DemoDataOptions>(DemoDataOptions.Section);
        return builder;
    }

    /// <summary>Demo reservations for a first look, when <c>LeaseBoard:DemoData</c> says so (Development by default).</summary>
    public static Task SeedDemoDataAsync(this WebApplication app) => DemoSeed.SeedAsync(app);
}
