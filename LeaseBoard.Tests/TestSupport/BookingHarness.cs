using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>A booking service on a real database with a fake clock: what most data tests start from.</summary>
public sealed class BookingHarness : IAsyncDisposable
{
    /// <summary>Monday 2026-11-30 09:02 UTC: a fixed "now", off the 5-minute grid on purpose.</summary>
    public static readonly DateTimeOffset DefaultNow = new(2026, 11, 30, 9, 2, 0, TimeSpan.Zero);

    private BookingHarness(TestDatabase database, FakeTimeProvider clock, BookingOptions options, List<TestEnvironment> environments)
    {
        Database = database;
        Clock = clock;
        Options = options;
        Environments = environments;
        Events = new BoardEvents(NullLogger<BoardEvents>.Instance);
        var monitor = new StaticOptionsMonitor<BookingOptions>(options);
        FollowUps = new ReservationFollowUps([], Events, clock, NullLogger<ReservationFollowUps>.Instance);
        Service = new BookingService(database, monitor, new SlotGuard(database, monitor, clock, Turns), clock, FollowUps, Telemetry, NullLogger<BookingService>.Instance);
        Queries = new ReservationQueries(database, clock);
    }

    public TestDatabase Database { get; }
    public FakeTimeProvider Clock { get; }
    public BookingOptions Options { get; }
    public List<TestEnvironment> Environments { get; }
    public BoardEvents Events { get; }
    /// <summary>The one writer queue of this harness's SQLite database, as the app has one per process.</summary>
    public WriteTurns Turns { get; } = new();

    /// <summary>Publishes the service's board events after each change, off the caller's path; <c>DrainedAsync</c> waits for them.</summary>
    public ReservationFollowUps FollowUps { get; }
    public BookingService Service { get; }
    /// <summary>The instruments the service records into (a meter factory of its own).</summary>
    public LeaseBoard.Features.Telemetry.LeaseBoardTelemetry Telemetry { get; } = TestTelemetry.Create();
    public ReservationQueries Queries { get; }

    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    public static async Task<BookingHarness> CreateAsync(DatabaseProvider provider = DatabaseProvider.Sqlite, BookingOptions? options = null, int environments = 5)
    {
        var database = await TestDatabase.CreateAsync(provider, environments);
        return new BookingHarness(database, new FakeTimeProvider(DefaultNow), options ?? new BookingOptions(), await database.EnvironmentsAsync());
    }

    public TestEnvironment Env(int number) => Environments[number - 1];

    /// <summary>Today (of the fake clock) at the given UTC time.</summary>
    public DateTime At(int hour, int minute = 0, int daysAhead = 0) =>
        DateTime.SpecifyKind(Now.Date.AddDays(daysAhead).AddHours(hour).AddMinutes(minute), DateTimeKind.Utc);

    public Task<BookingResult> BookAsync(int? environmentNumber, DateTime startUtc, TimeSpan duration, Actor? actor = null, string title = "Load test") =>
        Service.BookAsync(new BookingRequest(environmentNumber is { } n ? Env(n).Id : null, startUtc, duration, title, TestKind.Load, "users=100"),
            actor ?? TestActors.Ana);

    public async ValueTask DisposeAsync()
    {
        await FollowUps.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public static class TestActors
{
    public static readonly Actor Ana = new("local:ana", "Ana", IsAdmin: false);
    public static readonly Actor Ben = new("local:ben", "Ben", IsAdmin: false);
    public static readonly Actor Admin = new("local:root", "Root", IsAdmin: true);
}

public sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;
    public T Get(string? name) => value;
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
