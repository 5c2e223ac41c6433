using LeaseBoard.Setup;
using LeaseBoard.Features.SignIn;
using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using LeaseBoard.Components;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// The one base of component tests: MudBlazor services with loose JS interop, a fake clock as the
/// <see cref="TimeProvider"/>, the viewer in UTC, Ana signed in, and the real booking and queue services on a
/// real SQLite database of the test's own.
/// </summary>
public abstract class ComponentTestBase : BunitContext, IAsyncLifetime
{
    protected ComponentTestBase()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        // Handlers hit a real database; the default second is tight on a busy 2-core CI machine.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        Services.AddLogging();
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddSingleton<IOptionsMonitor<BookingOptions>>(new StaticOptionsMonitor<BookingOptions>(Options));
        Services.AddSingleton<BoardEvents>();
        Services.AddSingleton<LeaseBoard.Data.WriteTurns>();
        Services.AddBookingServices();
        // The queue (its panel is on the calendar and My reservations) binds its options from configuration: the defaults here.
        Services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        Services.AddQueueServices();
        Services.AddSingleton<LeaseBoard.Features.Admin.AdminQueries>();

        ViewerTime = new ViewerTime(JSInterop.JSRuntime);
        ViewerTime.Use(TimeZoneInfo.Utc);
        Services.AddSingleton(ViewerTime);

        Auth = AddAuthorization();
        SignInAs(TestActors.Ana);
    }

    public FakeTimeProvider Clock { get; } = new(BookingHarness.DefaultNow);
    public BookingOptions Options { get; } = new();
    public ViewerTime ViewerTime { get; }
    public BunitAuthorizationContext Auth { get; }
    public TestDatabase Database { get; private set; } = default!;
    public List<TestEnvironment> Environments { get; private set; } = [];

    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary>How many environments the test database gets.</summary>
    protected virtual int EnvironmentCount => 5;

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(environments: EnvironmentCount);
        Environments = await Database.EnvironmentsAsync();
        Services.AddSingleton<IDbContextFactory<LeaseBoardDb>>(Database);
    }

    /// <summary>Signs in as <paramref name="actor"/> with the claims the real sign-in gives (the id in NameIdentifier).</summary>
    public void SignInAs(Actor actor)
    {
        Auth.SetAuthorized(actor.DisplayName);
        Auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, actor.Id));
        if (actor.IsAdmin) Auth.SetRoles(LeaseBoard.Features.SignIn.Roles.Admin);
    }

    public TestEnvironment Env(int number) => Environments[number - 1];

    /// <summary>Today (of the fake clock) at the given UTC time.</summary>
    public DateTime At(int hour, int minute = 0, int daysAhead = 0) =>
        DateTime.SpecifyKind(Now.Date.AddDays(daysAhead).AddHours(hour).AddMinutes(minute), DateTimeKind.Utc);

    public async Task<List<ReservationRow>> ReservationsAsync()
    {
        var queries = Services.GetRequiredService<ReservationQueries>();
        return await queries.BetweenAsync(DateTime.MinValue, DateTime.MaxValue);
    }

    /// <summary>What a test class started of its own (a listener, a server), stopped before the context and the database.</summary>
    protected virtual Task DisposeTestAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeTestAsync();
        // MudBlazor's services are async-disposable only: dispose the context asynchronously, here.
        await base.DisposeAsync();
        await Database.DisposeAsync();
    }
}
