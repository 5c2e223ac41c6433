using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Calendar;

/// <summary><c>LeaseBoard:DemoData</c>: demo reservations for a first look. Unset means "on in Development only".</summary>
public sealed class DemoDataOptions
{
    public const string Section = "LeaseBoard:DemoData";

    public bool? Enabled { get; set; }
}

/// <summary>
/// A living first impression: with an empty reservations table, books a handful of reservations by demo
/// users over the next two days through the booking service (so the lease engine schedules them), some
/// starting now so they run on the simulated framework. Idempotent: it does nothing once any reservation exists.
/// </summary>
public static partial class DemoSeed
{
    private static readonly Actor Dana = new("demo:dana", "Dana (demo)", IsAdmin: false);
    private static readonly Actor Eli = new("demo:eli", "Eli (demo)", IsAdmin: false);
    private static readonly Actor Farah = new("demo:farah", "Farah (demo)", IsAdmin: false);

    private static readonly (Actor Who, int Lane, int OffsetMinutes, int Minutes, string Title, TestKind Kind, string Spec)[] Plan =
    [
        (Dana, 0, 0, 45, "Checkout load", TestKind.Load, "suite=checkout users=500"),
        (Eli, 1, 0, 30, "Payments chaos", TestKind.Chaos, "faults=latency,kill-pod"),
        (Farah, 4, 30, 120, "Search load", TestKind.Load, "suite=search rps=2000"),
        (Dana, 2, 60, 90, "Cache memory soak", TestKind.Soak, "hours=1.5"),
        (Farah, 3, 120, 60, "Network partition", TestKind.Chaos, "partition=zone-b"),
        (Eli, 0, 20 * 60, 120, "Nightly stress", TestKind.Stress, "profile=nightly"),
        (Dana, 1, 26 * 60, 60, "API contract run", TestKind.Other, "suite=contracts"),
        (Farah, 2, 30 * 60, 180, "Release soak", TestKind.Soak, "build=rc"),
    ];

    public static bool IsEnabled(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetSection(DemoDataOptions.Section).Get<DemoDataOptions>()?.Enabled ?? environment.IsDevelopment();

    public static async Task SeedAsync(WebApplication app)
    {
        if (!IsEnabled(app.Configuration, app.Environment)) return;
        var services = app.Services;
        var count = await SeedAsync(services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>(), services.GetRequiredService<BookingService>(),
            services.GetRequiredService<ReservationQueries>(), services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<IOptions<BookingOptions>>().Value, CancellationToken.None);
        if (count > 0) LogSeeded(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DemoSeed)), count);
    }

    /// <summary>Books the plan unless any reservation exists; returns how many were booked.</summary>
    public static async Task<int> SeedAsync(IDbContextFactory<LeaseBoardDb> dbs, BookingService booking, ReservationQueries queries,
        TimeProvider clock, BookingOptions rules, CancellationToken ct)
    {
        await using (var db = await dbs.CreateDbContextAsync(ct))
            if (await db.Reservations.AnyAsync(ct)) return 0;

        var lanes = (await queries.EnvironmentsAsync(ct)).Where(e => e.IsBookable).ToList();
        if (lanes.Count == 0) return 0;
        var start = BookingRules.FloorToGrid(clock.GetUtcNow().UtcDateTime, rules);
        var booked = 0;
        foreach (var (who, lane, offset, minutes, title, kind, spec) in Plan)
        {
            var request = new BookingRequest(lanes[lane % lanes.Count].Id, start.AddMinutes(offset), TimeSpan.FromMinutes(minutes), title, kind, spec);
            if ((await booking.BookAsync(request, who, ct)).Succeeded) booked++;
        }
        return booked;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded {Count} demo reservations (LeaseBoard:DemoData:Enabled)")]
    private static partial void LogSeeded(ILogger logger, int count);
}
