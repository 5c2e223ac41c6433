using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Features.LiveUpdates;

/// <summary>
/// Two app instances on two loopback ports sharing one SQLite file and a real redis-server (both with
/// the job server off, as page-only instances): what happens on A must show on B.
/// </summary>
public sealed class TwoInstancesFixture : IAsyncLifetime
{
    public const string KioskKey = "two-instance-kiosk-key";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "leaseboard-tests", "shared-" + Guid.NewGuid().ToString("N"));

    public RedisServer? Redis { get; private set; }
    public LeaseBoardAppFactory A { get; private set; } = default!;
    public LeaseBoardAppFactory B { get; private set; } = default!;
    public Uri AddressA { get; private set; } = default!;
    public Uri AddressB { get; private set; } = default!;
    /// <summary>Why the instances could not start (redis-server missing); tests skip or fail with it.</summary>
    public Exception? StartFailure { get; private set; }

    public async Task InitializeAsync()
    {
        try
        {
            Redis = await RedisServer.StartAsync();
        }
        catch (Exception e)
        {
            StartFailure = e; // a skip (or, under CI, a failure) reported by each test
            return;
        }
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{DatabaseProviders.ConnectionStringName}"] = $"Data Source={Path.Combine(_folder, "shared.db")}",
            [LiveUpdatesSetup.RedisSetting] = Redis.ConnectionString,
            ["LeaseBoard:Wall:KioskKey"] = KioskKey,
        };
        A = new LeaseBoardAppFactory(settings: settings);
        AddressA = A.StartOnLoopbackPort(); // migrates the shared file first
        B = new LeaseBoardAppFactory(settings: settings);
        AddressB = B.StartOnLoopbackPort();
        // The relays subscribe off the start-up path: wait until both listen before a test publishes.
        foreach (var host in new[] { A, B })
            await host.Services.GetServices<IHostedService>().OfType<RedisBoardEventRelay>().Single().Subscribed.WaitAsync(TimeSpan.FromSeconds(15));
    }

    public void SkipUnlessRunning()
    {
        RedisServer.SkipUnlessInstalled();
        if (StartFailure is not null) throw new InvalidOperationException("The two instances did not start.", StartFailure);
    }

    public async Task DisposeAsync()
    {
        if (B is not null) await B.DisposeAsync();
        if (A is not null) await A.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class RedisScaleOutTests(TwoInstancesFixture instances) : IClassFixture<TwoInstancesFixture>
{
    [SkippableFact]
    public async Task A_hub_client_on_instance_B_receives_the_event_of_a_lease_started_on_instance_A()
    {
        instances.SkipUnlessRunning();
        var relayedOnB = new List<BoardEvent>();
        using var tap = instances.B.Services.GetRequiredService<BoardEvents>().Subscribe(e => { lock (relayedOnB) relayedOnB.Add(e); return Task.CompletedTask; });
        await using var clientOnB = await BoardHubClient.ConnectAsync(instances.AddressB, TwoInstancesFixture.KioskKey);
        var environmentId = await BoardScenario.EnvironmentIdAsync(instances.A.Services, "env-1");

        var reservationId = await BoardScenario.StartLeaseNowAsync(instances.A.Services, "env-1", "Started on A");

        var (change, _) = await clientOnB.WaitForAsync<EnvironmentChanged>(
            e => e.EnvironmentId == environmentId && e.State == EnvironmentState.Leased, TimeSpan.FromSeconds(5));
        Assert.Equal("env-1", change.EnvironmentKey);
        await clientOnB.WaitForAsync<ReservationChanged>(e => e.ReservationId == reservationId, TimeSpan.FromSeconds(5));
        // B's own publisher got it too (that is what B's Blazor circuits listen to), marked as coming from elsewhere.
        await Eventually.TrueAsync(() => { lock (relayedOnB) return relayedOnB.OfType<EnvironmentChanged>().Any(e => e.EnvironmentId == environmentId && e.Origin is not null); },
            TimeSpan.FromSeconds(5), "B's BoardEvents received A's event through Redis");
    }

    [SkippableFact]
    public async Task A_lease_started_on_instance_A_writes_exactly_one_notification_and_rings_the_bell_on_instance_B()
    {
        instances.SkipUnlessRunning();
        var owner = new Actor("local:notified-twice", "Notified Twice", IsAdmin: false);
        var relayedOnB = new List<BoardEvent>();
        using var tap = instances.B.Services.GetRequiredService<BoardEvents>().Subscribe(e => { lock (relayedOnB) relayedOnB.Add(e); return Task.CompletedTask; });

        var reservationId = await BoardScenario.StartLeaseNowAsync(instances.A.Services, "env-2", "Told once", owner: owner);

        // B hears both the change (its watcher must leave it to A) and A's "this user has news" (for B's open bells).
        await Eventually.TrueAsync(() => { lock (relayedOnB) return relayedOnB.OfType<ReservationChanged>().Any(e => e.ReservationId == reservationId && e.Change == ReservationChange.Started); },
            TimeSpan.FromSeconds(5), "B received the start through Redis");
        await Eventually.TrueAsync(() => { lock (relayedOnB) return relayedOnB.OfType<NotificationsChanged>().Any(e => e.UserId == owner.Id && e.Origin is not null); },
            TimeSpan.FromSeconds(5), "B received A's NotificationsChanged through Redis");
        var notifications = instances.B.Services.GetRequiredService<NotificationService>();
        Assert.Equal(1, await notifications.UnreadCountAsync(owner.Id));
        Assert.Single(await notifications.LatestAsync(owner.Id), n => n.ReservationId == reservationId && n.Kind == NotificationKind.LeaseStarted);
    }

    [SkippableFact]
    public async Task Both_instances_telling_an_owner_the_same_thing_at_once_store_it_once()
    {
        instances.SkipUnlessRunning();
        var owner = new Actor("local:raced", "Raced", IsAdmin: false);
        var reservationIds = new List<int>();
        for (var i = 0; i < 8; i++)
            reservationIds.Add(await BoardScenario.ScheduleNowAsync(instances.A.Services, "env-4", $"Raced {i}", TimeSpan.FromMinutes(20), owner));
        var services = new[] { instances.A.Services.GetRequiredService<NotificationService>(), instances.B.Services.GetRequiredService<NotificationService>() };
        using var barrier = new Barrier(reservationIds.Count * services.Length);

        await Task.WhenAll(reservationIds.SelectMany(id => services.Select(service => Task.Run(async () =>
        {
            barrier.SignalAndWait(TimeSpan.FromSeconds(20));
            await service.NotifyAsync(owner.Id, NotificationKind.LeaseStarted, id, "started", CancellationToken.None);
        }))));

        var stored = await services[0].LatestAsync(owner.Id, take: 100);
        Assert.Equal(reservationIds.Order(), stored.Select(n => n.ReservationId!.Value).Order());
    }

    [SkippableFact]
    public async Task A_wall_open_on_instance_B_shows_a_quarantine_done_on_instance_A()
    {
        instances.SkipUnlessRunning();
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        await page.GotoAsync(new Uri(instances.AddressB, $"/wall?key={TwoInstancesFixture.KioskKey}").ToString());
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true", new() { Timeout = 20_000 });
        var tile = page.Locator("[data-testid=wall-tile][data-env=env-3]");
        await Assertions.Expect(tile).ToHaveAttributeAsync("data-state", "Available");

        await BoardScenario.QuarantineAsync(instances.A.Services, "env-3", "Quarantined on A");

        await Assertions.Expect(tile).ToHaveAttributeAsync("data-state", "Quarantined", new() { Timeout = 5_000 });
        await Assertions.Expect(tile.GetByTestId("wall-quarantine-reason")).ToHaveTextAsync("Quarantined on A");
    }
}

public sealed class RedisOutageTests
{
    [Fact]
    public async Task An_instance_starts_and_serves_the_wall_while_Redis_is_down()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        await using var host = new LeaseBoardAppFactory(settings: new Dictionary<string, string?>
        {
            [LiveUpdatesSetup.RedisSetting] = $"127.0.0.1:{deadPort},connectTimeout=500",
            ["LeaseBoard:Wall:KioskKey"] = "outage-key",
        });
        var address = host.StartOnLoopbackPort();
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

        using var response = await http.GetAsync("/wall?key=outage-key");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-testid=\"wall-tile\"", await response.Content.ReadAsStringAsync());
    }
}
